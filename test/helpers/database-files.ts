import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { TestApp } from './app.ts';

export interface DatabaseFile {
  file: string;
  bytes: Buffer;
}

/**
 * The bytes of the files an app's data lives in, for tests that scan raw bytes: the SQLite database
 * (and WAL) in the data directory, or, on PostgreSQL (npm run test:pg exports
 * TEST_DATABASE_DATA_DIR), this database's files and the WAL after a CHECKPOINT. PostgreSQL removes
 * some files (a relation cache image, recycled WAL segments) at any moment, so one that vanishes
 * between listing and reading is skipped rather than failing the scan.
 */
export async function readDatabaseFiles(t: TestApp): Promise<DatabaseFile[]> {
  return (await databaseFiles(t)).flatMap((file) => {
    try {
      return [{ file, bytes: fs.readFileSync(file) }];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  });
}

async function databaseFiles(t: TestApp): Promise<string[]> {
  if (!t.config.databaseUrl) return walkFiles(t.dataDir);
  const pgDataDir = process.env.TEST_DATABASE_DATA_DIR;
  assert.ok(pgDataDir, 'TEST_DATABASE_DATA_DIR is not set: run the PostgreSQL pass with npm run test:pg');
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: t.config.databaseUrl });
  await client.connect();
  let oid: string;
  try {
    await client.query('CHECKPOINT');
    oid = String((await client.query('SELECT oid FROM pg_database WHERE datname = current_database()')).rows[0].oid);
  } finally {
    await client.end();
  }
  return [path.join(pgDataDir, 'base', oid), path.join(pgDataDir, 'pg_wal')].flatMap((dir) =>
    fs
      .readdirSync(dir)
      .map((name) => path.join(dir, name))
      .filter((file) => fs.statSync(file, { throwIfNoEntry: false })?.isFile()),
  );
}

function walkFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walkFiles(full) : [full];
  });
}
