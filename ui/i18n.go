package ui

import (
	"embed"

	"fyne.io/fyne/v2/lang"
)

// translations hold the Japanese and Chinese texts of the UI; the English text is the key, so English
// needs no file. Fyne picks the language from the system's locale.
//
//go:embed translation
var translations embed.FS

// loadTranslations registers the UI's translations; call it before any window is made.
func loadTranslations() error { return lang.AddTranslationsFS(translations, "translation") }
