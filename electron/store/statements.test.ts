import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MAX_KEPT, keptStatements, prepared } from './statements.js';

describe('prepared statements kept per connection', () => {
  it('compiles a statement once per connection and SQL text, and each connection has its own', () => {
    const a = new Database(':memory:');
    const b = new Database(':memory:');
    try {
      for (const db of [a, b]) db.exec('CREATE TABLE t (x INTEGER)');
      const s = prepared(a, 'INSERT INTO t (x) VALUES (?)');
      expect(prepared(a, 'INSERT INTO t (x) VALUES (?)')).toBe(s);
      expect(prepared(b, 'INSERT INTO t (x) VALUES (?)')).not.toBe(s);
      s.run(1);
      prepared(a, 'INSERT INTO t (x) VALUES (?)').run(2);
      expect(prepared(a, 'SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 2 });
      expect(prepared(b, 'SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 0 });
      expect(keptStatements(a)).toBe(2);
    } finally {
      a.close();
      b.close();
    }
  });

  it('keeps at most MAX_KEPT statements per connection, the oldest dropped first', () => {
    const db = new Database(':memory:');
    try {
      const first = prepared(db, 'SELECT 0');
      for (let i = 1; i <= MAX_KEPT; i++) prepared(db, `SELECT ${i}`);
      expect(keptStatements(db)).toBe(MAX_KEPT);
      expect(prepared(db, 'SELECT 0')).not.toBe(first);
      expect(prepared(db, `SELECT ${MAX_KEPT}`)).toBe(prepared(db, `SELECT ${MAX_KEPT}`));
    } finally {
      db.close();
    }
  });
});
