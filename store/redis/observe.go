package redis

import (
	"context"
	"net"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// ObserveCalls makes the client call f after every command with its name
// (lowercase, "pipeline" for a pipeline), how long it took and its error
// (nil for a miss: go-redis's Nil is not a failure). Call it once, before
// the client is shared; f must be quick.
func (c *Client) ObserveCalls(f func(command string, d time.Duration, err error)) {
	c.rdb.AddHook(callHook{f})
}

type callHook struct {
	f func(string, time.Duration, error)
}

func (h callHook) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (h callHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		h.f(cmd.Name(), time.Since(start), missIsNoError(err))
		return err
	}
}

func (h callHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		h.f("pipeline", time.Since(start), missIsNoError(err))
		return err
	}
}

func missIsNoError(err error) error {
	if err == goredis.Nil {
		return nil
	}
	return err
}
