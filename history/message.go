package history

import (
	"time"

	"hato/protocol"
	"hato/transfer"
)

// Received is the record of a message as the node reports it. Its attachments and the pictures in its
// text are listed (pictures referenced; their bytes are added when fetched).
func Received(m *protocol.Message) Record {
	r := Record{
		Dir: In, Time: m.Received, Packet: m.Packet, Peer: peerOf(m.From), Text: m.Text,
		Sealed: m.Sealed, Locked: m.Locked, Encrypted: m.Encrypted, Signed: m.Signed, Verified: m.Verified,
		AutoReply: m.AutoReply, Broadcast: m.Broadcast, Multicast: m.Multicast, Delivered: true,
	}
	files, _ := transfer.ParseFileList(m.Files) // a malformed list keeps what parsed
	r.Attachments, r.Images = listed(m.Text, files)
	return r
}

// Sent is the record of a message to one recipient: d says whether it acknowledged.
func Sent(d protocol.Delivery, packet uint32, text string, opt protocol.SendOptions, files []transfer.File,
	images []transfer.InlineImage, multicast bool) Record {
	r := Record{
		Dir: Out, Time: time.Now(), Packet: packet, Peer: peerOf(d.Host), Text: text, Sealed: opt.Sealed, Locked: opt.Locked,
		Encrypted: d.Cipher != "", Signed: d.Signed, Multicast: multicast, Delivered: d.Err == nil,
	}
	r.Attachments, _ = listed(text, files)
	for _, img := range images {
		r.Images = append(r.Images, Image{At: img.At, Size: int64(len(img.PNG)), PNG: img.PNG})
	}
	return r
}

// listed splits an attachment list into files and pictures placed in the text.
func listed(text string, files []transfer.File) ([]Attachment, []Image) {
	placed := transfer.PlaceImages(text, files)
	inline := map[uint64]bool{}
	var images []Image
	for _, p := range placed {
		inline[p.File.ID] = true
		images = append(images, Image{At: p.At, Name: p.File.Name, Size: p.File.Size})
	}
	var atts []Attachment
	for _, f := range files {
		if !inline[f.ID] {
			atts = append(atts, Attachment{ID: f.ID, Name: f.Name, Size: f.Size, Dir: f.IsDir()})
		}
	}
	return atts, images
}

func peerOf(h protocol.Host) Peer {
	p := Peer{User: h.User, Host: h.Host, Nick: h.Nick, Group: h.Group}
	if h.Addr.IsValid() {
		p.Addr = h.Addr.String()
	}
	return p
}
