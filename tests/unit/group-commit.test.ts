import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src-server/db/group-commit.js';

describe('group commit', () => {
  it('writes the first item at once and what arrives meanwhile in one batch, each getting its own result', async () => {
    const flushes: number[][] = [];
    const g = new GroupCommit<number, number>(async (items) => {
      flushes.push(items);
      await new Promise((r) => setTimeout(r, 5));
      return items.map((x) => x * 10);
    });
    const results = await Promise.all([1, 2, 3, 4].map((x) => g.add(x)));
    expect(results).toEqual([10, 20, 30, 40]);
    expect(flushes).toEqual([[1], [2, 3, 4]]);
  });

  it('a failed write fails the items of its batch only', async () => {
    let n = 0;
    const g = new GroupCommit<string>(async (items) => {
      n++;
      if (n === 1) throw new Error('database down');
      return items.map(() => undefined);
    });
    const first = g.add('a');
    const second = g.add('b');
    await expect(first).rejects.toThrow('database down');
    await expect(second).resolves.toBeUndefined();
  });
});
