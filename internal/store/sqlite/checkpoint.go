package sqlite

import (
	"database/sql"
	"fmt"
	"time"
)

// checkpointEvery is how often the checkpointer copies committed WAL frames
// into the database file.
const checkpointEvery = 100 * time.Millisecond

// startCheckpointer moves WAL checkpoints off the writer. SQLite otherwise
// checkpoints inside whichever commit crosses wal_autocheckpoint, and the
// writer, which every group commit waits for, spends that time copying
// pages. A PASSIVE checkpoint on its own connection runs beside the writer
// and the readers without blocking either; the writer's own auto-checkpoint
// stays as a backstop at a high mark (writerDSN).
func (s *Store) startCheckpointer(path string, opts Options) error {
	db, err := sql.Open("sqlite", checkpointerDSN(path, opts))
	if err != nil {
		return fmt.Errorf("sqlite: open checkpointer %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s.ckpt = db
	s.ckptStop = make(chan struct{})
	s.ckptDone = make(chan struct{})
	go func() {
		defer close(s.ckptDone)
		tick := time.NewTicker(checkpointEvery)
		defer tick.Stop()
		for {
			select {
			case <-s.ckptStop:
				return
			case <-tick.C:
				// A failed or partial checkpoint is retried on the next tick;
				// the WAL stays valid meanwhile.
				_, _ = db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
			}
		}
	}()
	return nil
}

// stopCheckpointer stops the checkpointer and closes its connection; a
// second call (Close called twice) does nothing.
func (s *Store) stopCheckpointer() error {
	if s.ckpt == nil {
		return nil
	}
	close(s.ckptStop)
	<-s.ckptDone
	err := s.ckpt.Close()
	s.ckpt = nil
	return err
}
