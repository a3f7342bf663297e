import fs from 'node:fs';
import path from 'node:path';
import Database from 'libsql';

export const LOCK_FILE_NAME = 'mailroute.lock';
export const PID_FILE_NAME = 'mailroute.pid';

/** A second service on a data directory that one already serves. */
export class DataDirInUseError extends Error {}

export interface DataDirLock {
  release(): void;
}

/**
 * One service per SQLite data directory. The lock is an exclusive SQLite lock (an OS file lock)
 * on a file of its own: the OS drops it when the process ends, even on kill -9, so a stale lock
 * cannot outlive its holder. The CLI does not take it: its writes share the database safely.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lockFile = path.join(dataDir, LOCK_FILE_NAME);
  const pidFile = path.join(dataDir, PID_FILE_NAME);
  fs.closeSync(fs.openSync(lockFile, 'a', 0o600));
  const lock = new Database(lockFile);
  try {
    // No busy timeout: a lock held by a running service is an answer, not something to wait for.
    lock.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      const holder = readPid(pidFile);
      throw new DataDirInUseError(
        `the data directory ${dataDir} is already in use by another mailroute service (PID ${holder ?? 'unknown'}). ` +
          'Stop that one first, or give this one its own MAILROUTE_DATA_DIR or a DATABASE_URL.',
      );
    }
    throw error;
  }
  fs.writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      // Only remove the PID file while it still names this process.
      if (readPid(pidFile) === String(process.pid)) fs.rmSync(pidFile, { force: true });
      lock.close();
    },
  };
}

function readPid(pidFile: string): string | undefined {
  try {
    return fs.readFileSync(pidFile, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
