package ui

import (
	"image"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hato/transfer"
)

// imageWindow shows one picture of a message at full size, scrollable, with ways to save it.
type imageWindow struct {
	s      *session
	name   string // the attachment's name: the default file name
	png    []byte // the bytes as fetched: saved as they are
	window fyne.Window

	image   *canvas.Image
	saveAs  *widget.Button // "Save image…": a file dialog
	save    *widget.Button // into the download folder
	closeBt *widget.Button
	status  *widget.Label
}

func newImageWindow(s *session, from, name string, b []byte, img image.Image) *imageWindow {
	v := &imageWindow{s: s, name: name, png: b}
	v.window = s.app.NewWindow(lang.L("Image from {{.Name}}", map[string]any{"Name": from}))

	size := img.Bounds().Size()
	v.image = &canvas.Image{Image: img, FillMode: canvas.ImageFillContain}
	v.image.SetMinSize(fyne.NewSize(float32(size.X), float32(size.Y)))
	v.saveAs = &widget.Button{Text: lang.L("Save image…"), Icon: theme.DocumentSaveIcon(), OnTapped: v.onSaveAs}
	v.save = &widget.Button{Text: lang.L("Save to downloads"), Icon: theme.DownloadIcon(), OnTapped: v.onSave}
	v.closeBt = &widget.Button{Text: lang.L("Close"), Icon: theme.CancelIcon(), OnTapped: v.window.Close}
	for _, b := range []*widget.Button{v.saveAs, v.save, v.closeBt} {
		b.ExtendBaseWidget(b)
	}
	v.status = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	v.status.ExtendBaseWidget(v.status)

	buttons := container.NewBorder(nil, nil, nil, container.NewHBox(v.saveAs, v.save, v.closeBt), v.status)
	v.window.SetContent(container.NewBorder(nil, buttons, nil, nil, container.NewScroll(container.NewCenter(v.image))))
	// Big enough for the save dialog, which is drawn inside the window; no bigger than a small screen.
	v.window.Resize(fyne.NewSize(min(max(float32(size.X)+32, 640), 1000), min(max(float32(size.Y)+80, 480), 720)))
	return v
}

// onSaveAs asks where to save the picture, in the download folder by default.
func (v *imageWindow) onSaveAs() {
	d := dialog.NewFileSave(v.onSavePicked, v.window)
	d.SetFileName(imageFileName(v.name))
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png"}))
	if dir, err := storage.ListerForURI(storage.NewFileURI(v.s.set.DownloadDir)); err == nil {
		d.SetLocation(dir)
	}
	d.Show()
	d.Resize(v.window.Canvas().Size()) // only once shown: Fyne builds the dialog in Show

}

// onSavePicked is the save dialog's answer: the file it created is written by saveTo on a goroutine.
func (v *imageWindow) onSavePicked(w fyne.URIWriteCloser, err error) {
	if err != nil {
		dialog.ShowError(err, v.window)
		return
	}
	if w == nil { // cancelled
		return
	}
	path := w.URI().Path()
	w.Close()
	v.inBackground(func() (string, error) { return path, v.saveTo(path) })
}

// saveTo writes the picture's bytes to path, replacing the file (the dialog asked about that).
func (v *imageWindow) saveTo(path string) error {
	return os.WriteFile(path, v.png, 0o644)
}

// onSave puts the picture into the download folder under its name, never over another file.
func (v *imageWindow) onSave() {
	dir := v.s.set.DownloadDir
	v.inBackground(func() (string, error) { return transfer.SaveImage(dir, v.name, v.png) })
}

// inBackground runs a save on a goroutine and shows its outcome.
func (v *imageWindow) inBackground(save func() (string, error)) {
	v.saveAs.Disable()
	v.save.Disable()
	v.status.Importance = widget.MediumImportance
	v.status.SetText(lang.L("Saving…"))
	v.s.work.Go(func() {
		path, err := save()
		v.s.do(func() { v.onSaved(path, err) })
	})
}

func (v *imageWindow) onSaved(path string, err error) {
	v.saveAs.Enable()
	v.save.Enable()
	if err != nil {
		v.status.Importance = widget.DangerImportance
		v.status.SetText(err.Error())
		return
	}
	v.status.Importance = widget.SuccessImportance
	v.status.SetText(lang.L("Saved to {{.Path}}", map[string]any{"Path": path}))
}

// imageFileName is the name the save dialog proposes: the attachment's own, when it is a safe .png name.
func imageFileName(name string) string {
	name = filepath.Base(filepath.FromSlash(name))
	if transfer.CheckName(name) != nil || !strings.EqualFold(filepath.Ext(name), ".png") {
		return "image.png"
	}
	return name
}
