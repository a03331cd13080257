package account

import (
	"context"

	"github.com/accountgate/accountgate/account/core"
)

// OnRevocation registers deliver, called for every revocation this
// instance applies (its own and those of other instances), and resync,
// called when the revocation channel is (re)established and messages may
// have been lost. Either may be nil. They run on the revocation path and
// must be quick.
func (s *Service) OnRevocation(deliver func(core.Revocation), resync func()) {
	s.verifier.OnRevocation(deliver, resync)
}

// Broadcast applies r here and sends it to every other instance, as a
// sign-out does. It is for changes made outside the API, such as an
// assertion key rotation by the admin command.
func (s *Service) Broadcast(ctx context.Context, r core.Revocation) { s.Revoke(ctx, r) }
