package transfer

import (
	"context"
	"fmt"

	"hato/protocol"
)

// SendFiles offers sources to the recipients in one message with text (which may be empty). The offer is
// registered with srv under a reserved packet number before the message goes out, so a recipient can
// fetch at once. It returns like Node.Send; a recipient that never acknowledged may still fetch.
func SendFiles(ctx context.Context, node *protocol.Node, srv *Server, to []protocol.Host, text string,
	sources []Source, opt protocol.SendOptions) (uint32, []protocol.Delivery, error) {
	if len(sources) == 0 {
		return 0, nil, fmt.Errorf("send files: nothing to offer")
	}
	known := make([]protocol.Host, len(to))
	for i, h := range to {
		known[i] = node.Lookup(h)
	}
	opt.Packet = node.NextPacketNo()
	opt.Files = FileList(sources)
	srv.Offer(opt.Packet, known, sources)
	no, deliveries, err := node.Send(ctx, known, text, opt)
	if err != nil {
		srv.Withdraw(opt.Packet)
		return 0, nil, err
	}
	return no, deliveries, nil
}
