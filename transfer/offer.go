package transfer

import (
	"context"
	"fmt"
	"slices"
	"time"

	"hato/protocol"
	"hato/protocol/wire"
)

// SendMessage sends text with files (offered as attachments) and inline images to the recipients in one
// message. Images go as WIN's clipboard attachments, at their places in the text, to peers that advertise
// CLIPBOARDOPT, and as ordinary PNG files (image-1.png, ...) to the others; they are served from memory.
func SendMessage(ctx context.Context, node *protocol.Node, srv *Server, to []protocol.Host, text string,
	files []Source, images []InlineImage, opt protocol.SendOptions) (uint32, []protocol.Delivery, error) {
	if len(images) == 0 {
		if len(files) == 0 {
			return node.Send(ctx, to, text, opt)
		}
		return SendFiles(ctx, node, srv, to, text, files, opt)
	}
	if opt.Packet == 0 {
		opt.Packet = node.NextPacketNo()
	}
	imgs, err := ImageSources(text, images, opt.Packet, uint64(len(files)), time.Now().Unix())
	if err != nil {
		return 0, nil, fmt.Errorf("send: %w", err)
	}
	all := append(slices.Clone(files), imgs...)
	inline, plain := FileList(all), FileList(append(slices.Clone(files), plainImages(imgs)...))
	opt.FilesFor = func(h protocol.Host) string {
		if h.Caps.Has(wire.ClipboardOpt) {
			return inline
		}
		return plain
	}
	return sendOffer(ctx, node, srv, to, text, all, opt)
}

// plainImages are inline images as ordinary attachments, for peers without CLIPBOARDOPT.
func plainImages(imgs []Source) []Source {
	out := make([]Source, len(imgs))
	for i, s := range imgs {
		out[i] = Source{File: PlainForm(s.File, i+1), Data: s.Data}
	}
	return out
}

// SendFiles offers sources to the recipients in one message with text (which may be empty). The offer is
// registered with srv under a reserved packet number before the message goes out, so a recipient can
// fetch at once. It returns like Node.Send; a recipient that never acknowledged may still fetch.
func SendFiles(ctx context.Context, node *protocol.Node, srv *Server, to []protocol.Host, text string,
	sources []Source, opt protocol.SendOptions) (uint32, []protocol.Delivery, error) {
	if len(sources) == 0 {
		return 0, nil, fmt.Errorf("send files: nothing to offer")
	}
	if opt.Packet == 0 {
		opt.Packet = node.NextPacketNo()
	}
	opt.Files = FileList(sources)
	return sendOffer(ctx, node, srv, to, text, sources, opt)
}

// sendOffer registers sources with srv under opt.Packet, then sends the message.
func sendOffer(ctx context.Context, node *protocol.Node, srv *Server, to []protocol.Host, text string,
	sources []Source, opt protocol.SendOptions) (uint32, []protocol.Delivery, error) {
	known := make([]protocol.Host, len(to))
	for i, h := range to {
		known[i] = node.Lookup(h)
	}
	srv.Offer(opt.Packet, known, sources)
	no, deliveries, err := node.Send(ctx, known, text, opt)
	if err != nil {
		srv.Withdraw(opt.Packet)
		return 0, nil, err
	}
	return no, deliveries, nil
}
