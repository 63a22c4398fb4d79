package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"time"
)

// ErrNotRunning means no Hato runs for the profile: there is no socket, or only a stale one.
var ErrNotRunning = errors.New("no Hato is running with this profile")

// answerTimeout bounds an activate or ping, and the ping of Dial.
const answerTimeout = 10 * time.Second

// Client talks to the Hato running for a profile. Each call is one connection.
type Client struct {
	path string
}

// Dial finds the Hato running for the profile folder dir and checks that it answers. When none
// runs there (no socket, or a stale one that nobody listens on) the error wraps ErrNotRunning.
func Dial(dir string) (*Client, error) {
	path, err := socketPath(dir)
	if err != nil {
		if path == "" {
			return nil, err
		}
		// Nothing can listen on a path that long.
		return nil, fmt.Errorf("%w (%w)", err, ErrNotRunning)
	}
	c := &Client{path: path}
	if _, err := c.Ping(); err != nil {
		return nil, err
	}
	return c, nil
}

// Run runs a subcommand in the running Hato: args are what followed `hato` on the command line,
// cwd the folder relative paths in them are relative to (the current one when empty). It copies
// the subcommand's output to stdout and stderr as it arrives and returns its exit code. When ctx
// ends, Run hangs up, which stops the subcommand, and returns ctx.Err(). On an error the code is 1.
func (c *Client) Run(ctx context.Context, args []string, cwd string, stdout, stderr io.Writer) (int, error) {
	if err := ctx.Err(); err != nil {
		return 1, err
	}
	if cwd == "" {
		var err error
		if cwd, err = os.Getwd(); err != nil {
			return 1, fmt.Errorf("control: the current folder: %w", err)
		}
	}
	conn, err := c.connect()
	if err != nil {
		return 1, err
	}
	defer conn.Close()
	stop := closeOnDone(ctx, conn)
	defer stop()
	code, err := c.run(conn, request{V: version, Op: opRun, Args: args, Cwd: cwd}, stdout, stderr)
	if err != nil && ctx.Err() != nil {
		return 1, ctx.Err()
	}
	return code, err
}

func (c *Client) run(conn net.Conn, req request, stdout, stderr io.Writer) (int, error) {
	r := bufio.NewReader(conn)
	if err := c.send(conn, r, req); err != nil {
		return 1, err
	}
	for {
		resp, err := c.readAnswer(r)
		if err != nil {
			return 1, err
		}
		if resp.Exit != nil {
			return *resp.Exit, nil
		}
		if err := copyOut(stdout, resp.Stdout); err != nil {
			return 1, err
		}
		if err := copyOut(stderr, resp.Stderr); err != nil {
			return 1, err
		}
	}
}

func copyOut(w io.Writer, text string) error {
	if text == "" || w == nil {
		return nil
	}
	if _, err := io.WriteString(w, text); err != nil {
		return fmt.Errorf("control: writing the output: %w", err)
	}
	return nil
}

// Activate asks the running Hato to show its window.
func (c *Client) Activate() error {
	_, err := c.ask(opActivate)
	return err
}

// Ping checks that the running Hato answers, and returns its process id.
func (c *Client) Ping() (pid int, err error) {
	resp, err := c.ask(opPing)
	return resp.PID, err
}

// ask sends a request without arguments and reads its one-line answer.
func (c *Client) ask(op string) (response, error) {
	conn, err := c.connect()
	if err != nil {
		return response{}, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(answerTimeout))
	r := bufio.NewReader(conn)
	if err := c.send(conn, r, request{V: version, Op: op}); err != nil {
		return response{}, err
	}
	resp, err := c.readAnswer(r)
	if err != nil {
		return response{}, err
	}
	if !resp.OK {
		return response{}, fmt.Errorf("control endpoint %s: unexpected answer to %s", c.path, op)
	}
	return resp, nil
}

// send writes the request. When that fails because the server refused the connection at once
// (another user), the answer it left says why better than the write error.
func (c *Client) send(conn net.Conn, r *bufio.Reader, req request) error {
	err := writeLine(conn, req)
	if err == nil {
		return nil
	}
	if resp, answerErr := c.readAnswer(r); resp.Error != "" {
		return answerErr
	}
	return fmt.Errorf("control: sending the request: %w", err)
}

// readAnswer reads one answer line; an {"error":...} answer is returned as an error, with the
// response.
func (c *Client) readAnswer(r *bufio.Reader) (response, error) {
	line, err := readLine(r)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return response{}, fmt.Errorf("control endpoint %s: no answer within %v", c.path, answerTimeout)
	case errors.Is(err, io.EOF):
		return response{}, fmt.Errorf("control endpoint %s: the connection closed before the answer ended", c.path)
	case err != nil:
		return response{}, fmt.Errorf("control endpoint %s: %w", c.path, err)
	}
	var resp response
	if err := json.Unmarshal(line, &resp); err != nil {
		return response{}, fmt.Errorf("control endpoint %s: bad answer: %v", c.path, err)
	}
	if resp.Error != "" {
		return resp, fmt.Errorf("control endpoint %s: %s", c.path, resp.Error)
	}
	return resp, nil
}

// connect opens a connection to the socket.
func (c *Client) connect() (*net.UnixConn, error) {
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: c.path, Net: "unix"})
	switch {
	case err == nil:
		return conn, nil
	case errors.Is(err, fs.ErrNotExist) || isRefused(err) || noUnixSockets(err):
		return nil, fmt.Errorf("control endpoint %s: %w", c.path, ErrNotRunning)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("control endpoint %s: %w: it belongs to another user", c.path, fs.ErrPermission)
	default:
		return nil, fmt.Errorf("control: %w", err)
	}
}
