// FilePersistence and FileLock on Windows file semantics: a file another handle has open cannot be
// replaced or removed (rename fails with EPERM), a removed file stays visible until its last handle
// closes, pids are Windows pids. Real node.exe processes, real files in %TEMP%.
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DpapiPersistence } from '@msal-persist/persistence-dpapi';
import { FileLock, FilePersistence, toFileError } from '@msal-persist/persistence-file';
import { childScript, lastJson, runNode, tempFolder, wineVersion } from './support.mjs';

const wine = await wineVersion();

const encode = (value) => new TextEncoder().encode(JSON.stringify(value));
const decode = (bytes) => JSON.parse(new TextDecoder().decode(bytes));

describe('FilePersistence on Windows file semantics', () => {
  test('a save replaces the cache while another handle has it open for a moment (the replace is retried)', async (t) => {
    const path = join(tempFolder(t, 'replace-open'), 'msal.cache');
    const persistence = new FilePersistence(path);
    await persistence.save(encode({ n: 1 }));
    // A reader (another process's load, an indexer) holding the file while the save renames.
    const fd = openSync(path, 'r');
    const closed = sleep(300).then(() => closeSync(fd));
    await persistence.save(encode({ n: 2 }));
    await closed;
    assert.deepEqual(decode(await persistence.load()), { n: 2 });
  });

  test('a save while a handle holds the file throughout fails typed after its retries (Wine), the old content intact, with advice for Windows', async (t) => {
    const path = join(tempFolder(t, 'replace-held'), 'msal.cache');
    const persistence = new FilePersistence(path);
    await persistence.save(encode({ n: 1 }));
    const fd = openSync(path, 'r');
    let error;
    try {
      error = await persistence.save(encode({ n: 2 })).then(
        () => undefined,
        (caught) => caught,
      );
    } finally {
      closeSync(fd);
    }
    if (error === undefined && !wine) {
      // NTFS may replace an open file where POSIX rename semantics apply: then the new content is there.
      t.diagnostic('this Windows replaced the file while it was open');
      assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { n: 2 });
      return;
    }
    assert.ok(error, 'the save replaced a file held open the whole time');
    assert.equal(error.name, 'PersistenceError');
    assert.equal(error.code, 'AccessDenied');
    assert.match(error.message, /another program may hold the file open/i);
    assert.doesNotMatch(error.message, /chmod/);
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { n: 1 });
  });

  test('access-denied advice names Windows permissions, never chmod', () => {
    for (const code of ['EACCES', 'EPERM']) {
      const error = toFileError(
        Object.assign(new Error(`${code}: operation not permitted`), { code, path: 'C:\\x\\msal.cache' }),
        'file:C:\\x\\msal.cache',
        'save C:\\x\\msal.cache',
      );
      assert.equal(error.code, 'AccessDenied');
      assert.doesNotMatch(error.message, /chmod|u\+rw/);
      assert.match(error.message, /C:\\x\\msal\.cache/);
    }
  });
});

describe('FileLock and saves by many node.exe processes', () => {
  const writerSource = `
    import { DpapiPersistence } from '@msal-persist/persistence-dpapi';
    import { FileLock } from '@msal-persist/persistence-file';
    const [path, id, count] = process.argv.slice(2);
    const persistence = new DpapiPersistence(path);
    const lock = new FileLock(path + '.lockfile');
    const failures = [];
    for (let i = 0; i < Number(count); i++) {
      try {
        const handle = await lock.acquire({ timeoutMs: 120000 });
        try {
          const bytes = await persistence.load();
          const state = bytes && bytes.length ? JSON.parse(new TextDecoder().decode(bytes)) : { entries: [] };
          state.entries.push(id + '-' + i);
          await persistence.save(new TextEncoder().encode(JSON.stringify(state)));
        } finally {
          await handle.release();
        }
      } catch (error) {
        failures.push((error.code ?? '') + ' ' + error.message);
      }
    }
    console.log(JSON.stringify({ failures }));
  `;
  const readerSource = `
    import { DpapiPersistence } from '@msal-persist/persistence-dpapi';
    import { existsSync } from 'node:fs';
    const [path, stopFile] = process.argv.slice(2);
    const persistence = new DpapiPersistence(path);
    let loads = 0;
    const failures = [];
    while (!existsSync(stopFile)) {
      try {
        const bytes = await persistence.load();
        if (bytes && bytes.length) JSON.parse(new TextDecoder().decode(bytes));
        loads++;
      } catch (error) {
        failures.push((error.code ?? '') + ' ' + error.message);
      }
    }
    console.log(JSON.stringify({ loads, failures }));
  `;

  test('8 writers x 25 locked saves while 2 readers load in a loop: every save lands, nothing fails', async (t) => {
    const dir = tempFolder(t, 'writers');
    const path = join(dir, 'msal.cache');
    const stopFile = join(dir, 'stop');
    const writer = childScript(t, writerSource);
    const reader = childScript(t, readerSource);
    const writers = 8;
    const saves = 25;
    const readers = [
      runNode(reader, [path, stopFile], { timeoutMs: 600_000 }),
      runNode(reader, [path, stopFile], { timeoutMs: 600_000 }),
    ];
    const results = await Promise.all(
      Array.from({ length: writers }, (_, id) =>
        runNode(writer, [path, String(id), String(saves)], { timeoutMs: 600_000 }),
      ),
    );
    writeFileSync(stopFile, '');
    const readResults = await Promise.all(readers);
    for (const result of [...results, ...readResults]) assert.equal(result.code, 0, result.stderr);
    const writeFailures = results.flatMap((result) => lastJson(result).failures);
    const readReports = readResults.map(lastJson);
    const readFailures = readReports.flatMap((report) => report.failures);
    assert.equal(
      writeFailures.length,
      0,
      `${writeFailures.length} of ${writers * saves} saves failed, first: ${writeFailures[0]}`,
    );
    assert.equal(readFailures.length, 0, `${readFailures.length} loads failed, first: ${readFailures[0]}`);
    assert.ok(
      readReports.every((report) => report.loads > 0),
      'every reader loaded at least once',
    );
    const entries = decode(await new DpapiPersistence(path).load()).entries;
    assert.equal(entries.length, writers * saves);
    assert.equal(new Set(entries).size, writers * saves);
  });

  test('a holder killed while holding the lock is recovered at once: the next writer gets in, the cache is intact', async (t) => {
    const dir = tempFolder(t, 'killed');
    const path = join(dir, 'msal.cache');
    await new FilePersistence(path).save(encode({ before: true }));
    const holder = childScript(
      t,
      `import { FileLock } from '@msal-persist/persistence-file';
       await new FileLock(process.argv[2] + '.lockfile').acquire();
       console.log('locked');
       setInterval(() => {}, 1000);`,
    );
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [holder, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve, reject) => {
      child.stdout.on('data', (chunk) => String(chunk).includes('locked') && resolve());
      child.on('exit', (code) => reject(new Error(`the holder exited with ${code} before locking`)));
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // TerminateProcess: no exit handler of the holder runs, the lock file stays behind.
    child.kill('SIGKILL');
    await exited;
    assert.equal((await new FileLock(`${path}.lockfile`).inspect()).state, 'stale');
    // Well under the 10 s stale interval: the dead pid is what frees it.
    const handle = await new FileLock(`${path}.lockfile`).acquire({ timeoutMs: 3_000 });
    await handle.release();
    assert.deepEqual(decode(await new FilePersistence(path).load()), { before: true });
  });

  test('a lock file naming a dead pid (as any MSAL extension writes it) is broken at once', async (t) => {
    const dir = tempFolder(t, 'dead-pid');
    const lockPath = join(dir, 'msal.cache.lockfile');
    const gone = childScript(t, 'console.log(process.pid);');
    const result = await runNode(gone);
    const deadPid = Number(result.stdout.trim());
    assert.ok(deadPid > 0);
    writeFileSync(lockPath, `${deadPid} C:\\Program Files\\Python\\python.exe`);
    const lock = new FileLock(lockPath);
    assert.equal((await lock.inspect()).state, 'stale');
    const handle = await lock.acquire({ timeoutMs: 3_000 });
    assert.match(readFileSync(lockPath, 'utf8'), new RegExp(`^${process.pid} `));
    await handle.release();
  });
});
