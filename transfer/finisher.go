package transfer

import (
	"context"
	"time"
)

// finisher does the last steps of a folder stream on a goroutine of its own, in stream order, while the
// reader receives the next files: it gives each complete file its name (link or rename, close, the saved
// event) and closes each folder the stream left, setting its time. That is about a third of the
// receiving side's work, which a second core takes on. Work goes over in batches: a wake-up per file
// would cost about what it saves.
type finisher struct {
	t      *treeReader
	batch  []finishOp
	ch     chan []finishOp
	failed chan struct{} // closed on the first error, once err is set
	done   chan struct{} // closed when the goroutine ends
	err    error
}

// finishOp is a complete file to name, a folder to close, or a barrier to close once the ops before it
// are done.
type finishOp struct {
	file    *pending
	folder  *frame
	barrier chan struct{}
}

// finishBatch is how many ops go over at once.
const finishBatch = 32

// startFinisher starts the goroutine; it ends at stop, or when ctx ends (the fetch fails then).
func (t *treeReader) startFinisher(ctx context.Context) *finisher {
	f := &finisher{t: t, ch: make(chan []finishOp, 2), failed: make(chan struct{}), done: make(chan struct{})}
	go f.run(ctx)
	return f
}

func (f *finisher) run(ctx context.Context) {
	defer close(f.done)
	for {
		select {
		case batch, ok := <-f.ch:
			if !ok {
				return
			}
			for _, op := range batch {
				f.do(op)
			}
			f.t.flushSaved(false)
		case <-ctx.Done():
			f.fail(ctx.Err())
			return
		}
	}
}

func (f *finisher) do(op finishOp) {
	switch {
	case f.err != nil || op.barrier != nil:
		f.abandon(op)
	case op.folder != nil:
		if in := op.folder; in.mtime > 0 {
			in.in.root.Chtimes(".", time.Unix(in.mtime, 0), time.Unix(in.mtime, 0))
		}
		op.folder.in.close()
	default:
		if err := f.t.finishFile(op.file); err != nil {
			f.fail(err)
		}
	}
}

// abandon undoes op as a failed fetch leaves a folder: a file kept as a .part, a folder closed.
func (f *finisher) abandon(op finishOp) {
	switch {
	case op.barrier != nil:
		close(op.barrier)
	case op.folder != nil:
		op.folder.in.close()
	default:
		f.t.keepPart(op.file)
	}
}

func (f *finisher) fail(err error) {
	if f.err == nil {
		f.err = err
		close(f.failed)
	}
}

// add queues op, handing the batch over when full; the error is the one that stopped the finisher.
func (f *finisher) add(op finishOp) error {
	f.batch = append(f.batch, op)
	if len(f.batch) < finishBatch {
		return nil
	}
	return f.hand()
}

func (f *finisher) hand() error {
	if len(f.batch) == 0 {
		return nil
	}
	select {
	case f.ch <- f.batch:
		f.batch = make([]finishOp, 0, finishBatch)
		return nil
	case <-f.failed:
		return f.err
	}
}

// flush waits until every op queued is done: until then a file may not have its name, and its .part
// may hold a name that a file or folder named "*.part" is to take.
func (f *finisher) flush() error {
	barrier := make(chan struct{})
	if err := f.add(finishOp{barrier: barrier}); err != nil {
		return err
	}
	if err := f.hand(); err != nil {
		return err
	}
	select {
	case <-barrier:
		return nil
	case <-f.failed:
		return f.err
	}
}

// stop carries out what is queued and returns the first error. What the goroutine left, when ctx ended,
// is abandoned.
func (f *finisher) stop() error {
	err := f.hand()
	close(f.ch)
	<-f.done
	for batch := range f.ch {
		f.batch = append(f.batch, batch...)
	}
	for _, op := range f.batch {
		f.abandon(op)
	}
	if err == nil {
		err = f.err
	}
	return err
}
