package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Handler carries out the requests of the endpoint. Its methods may be called concurrently, from
// several connections.
type Handler interface {
	// Run runs a subcommand: args are what followed `hato` on the client's command line, cwd is the
	// client's working folder. It returns the exit code. stdout and stderr are safe for concurrent
	// use and send each Write to the client at once; they fail once the client has gone, and must
	// not be used after Run returns. Run must return soon after ctx ends: when the client hangs up
	// or the server stops.
	Run(ctx context.Context, args []string, cwd string, stdout, stderr io.Writer) int
	// Activate shows the window; the error goes to the client. It must not block for long.
	Activate() error
}

// requestTimeout is how long a connection may take to send its request.
const requestTimeout = 10 * time.Second

// Server is a profile's control endpoint, owned by this process from Listen until Close.
type Server struct {
	path    string
	handler Handler
	ln      *net.UnixListener
	lock    *profileLock
	timeout time.Duration // requestTimeout; shorter in tests

	serving   atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// Listen claims the profile folder dir for this process and listens on its control.sock; see the
// package comment. When another process holds the profile, the error wraps ErrRunning.
func Listen(dir string, h Handler) (*Server, error) {
	path, err := socketPath(dir)
	if err != nil {
		return nil, err
	}
	if err := prepareFolder(dir); err != nil {
		return nil, err
	}
	if sockDir := filepath.Dir(path); sockDir != filepath.Clean(dir) {
		if err := prepareFolder(sockDir); err != nil { // a deep profile's socket, elsewhere (socketPath)
			return nil, err
		}
	}
	lock, err := lockProfile(filepath.Join(dir, lockName))
	if err != nil {
		return nil, err
	}
	ln, err := bind(path)
	if err != nil && noUnixSockets(err) {
		// No AF_UNIX here: the lock alone keeps the profile to one Hato; nothing can be handed to it.
		return &Server{path: path, handler: h, lock: lock, timeout: requestTimeout}, nil
	}
	if err != nil {
		lock.release()
		return nil, err
	}
	return &Server{path: path, handler: h, ln: ln, lock: lock, timeout: requestTimeout}, nil
}

// bind listens on path, replacing what a crashed owner left there: we hold the lock, so nobody
// else listens on it.
func bind(path string) (*net.UnixListener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("control: removing the stale socket: %w", err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	ln.SetUnlinkOnClose(false) // Close removes it, before it lets the lock go
	if err := restrictSocket(path); err != nil {
		ln.Close()
		os.Remove(path)
		return nil, fmt.Errorf("control: %w", err)
	}
	return ln, nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// Serve answers connections until ctx ends, then waits for the requests under way (their runs are
// cancelled), and closes the server: when Serve returns, it has left no goroutine behind, the
// socket is gone and the lock is released. The error is Close's.
func (s *Server) Serve(ctx context.Context) error {
	if !s.serving.CompareAndSwap(false, true) {
		return errors.New("control: Serve called twice")
	}
	if s.ln == nil {
		<-ctx.Done()
		return s.Close()
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		<-ctx.Done()
		s.ln.Close()
	})
	var backoff time.Duration
	for {
		conn, err := s.ln.AcceptUnix()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				break
			}
			// Out of file descriptors or the like: wait for connections to end, try again.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		wg.Go(func() { s.serveConn(ctx, conn) })
	}
	cancel()
	wg.Wait()
	return s.Close()
}

// Close stops listening, removes the socket and releases the lock. Serve does it when it returns;
// Close is for a server that is not served. It may be called more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var err error
		if s.ln != nil {
			err = s.ln.Close()
		}
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
		if rmErr := os.Remove(s.path); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
			err = errors.Join(err, rmErr)
		}
		if lockErr := s.lock.release(); lockErr != nil {
			err = errors.Join(err, fmt.Errorf("releasing the lock: %w", lockErr))
		}
		if err != nil {
			s.closeErr = fmt.Errorf("control %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// serveConn answers the one request of conn.
func (s *Server) serveConn(ctx context.Context, conn *net.UnixConn) {
	defer conn.Close()
	stop := closeOnDone(ctx, conn)
	defer stop()
	out := &output{w: conn}
	if err := checkPeer(conn); err != nil {
		out.finish(response{Error: err.Error()})
		return
	}
	req, err := s.readRequest(conn)
	if err != nil {
		out.finish(response{Error: err.Error()})
		return
	}
	switch req.Op {
	case opPing:
		out.finish(response{OK: true, PID: os.Getpid()})
	case opActivate:
		if err := s.handler.Activate(); err != nil {
			out.finish(response{Error: err.Error()})
			return
		}
		out.finish(response{OK: true, PID: os.Getpid()})
	case opRun:
		s.run(ctx, conn, out, req)
	}
}

// readRequest reads and checks the request line, which must come within s.timeout.
func (s *Server) readRequest(conn *net.UnixConn) (request, error) {
	conn.SetReadDeadline(time.Now().Add(s.timeout))
	defer conn.SetReadDeadline(time.Time{})
	// The limit ends a line that is too long at once, rather than when a '\n' or the timeout comes.
	line, err := readLine(bufio.NewReader(io.LimitReader(conn, maxLine+1)))
	switch {
	case err == nil:
		return parseRequest(line)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return request{}, fmt.Errorf("no request within %v", s.timeout)
	case errors.Is(err, io.EOF):
		return request{}, errors.New("connection closed before a request")
	default:
		return request{}, fmt.Errorf("request: %w", err)
	}
}

// run runs the subcommand of req, streaming its output to conn, until it ends or the client hangs up.
func (s *Server) run(ctx context.Context, conn *net.UnixConn, out *output, req request) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The client sends nothing more, so a read returns when it hangs up.
	var hangup sync.WaitGroup
	hangup.Go(func() {
		io.Copy(io.Discard, conn)
		cancel()
	})
	code := s.handler.Run(ctx, req.Args, req.Cwd, stream{out: out}, stream{out: out, stderr: true})
	out.finish(response{Exit: &code})
	conn.SetReadDeadline(time.Now()) // ends the hang-up watch
	hangup.Wait()
}
