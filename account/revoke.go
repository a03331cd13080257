package account

import (
	"context"
	"github.com/accountgate/accountgate/account/core"
)

// revoke forgets cached credentials here at once, in the shared cache,
// and on every other instance through the revocation channel.
func (s *Service) revoke(ctx context.Context, r core.Revocation) {
	s.applyRevocation(r)
	s.verifier.Publish(ctx, r)
}

// applyRevocation handles a revocation from any instance.
func (s *Service) applyRevocation(r core.Revocation) {
	s.observeRevocation(r)
	s.verifier.Drop(r)
}

// resync runs when the revocation channel is (re)established: messages
// sent while it was down are lost, so the verifier and the listeners
// forget what they cached.
func (s *Service) resync() {
	s.log.Info("revocation channel (re)established: local cache cleared")
	s.verifier.Resync()
}
