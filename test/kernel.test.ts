import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KernelProcess, JupyterMessage } from './support/kernelClient';
import { startStreamlabKernel, messagesOfType, errorOf, resultData, collectComm } from './support/streamlabKernel';
import { describeWithoutBroker, produceRaw, sleep, startBroker, TestBroker, uniqueTopic } from './support/broker';
import { heartbeatError, UNKNOWN_MEMBER_ID } from './support/groupProbe';

let broker: TestBroker;
let kernel: KernelProcess;

before(async () => {
  // Recorded in the test run's own state dir, so the kernel finds it with no configuration, as a user's would.
  ({ broker } = await startBroker({ writeState: true }));
  kernel = await startStreamlabKernel();
});
after(async () => {
  if (!kernel.hasExited) await kernel.shutdown();
  await broker.stop();
});

describeWithoutBroker('protocol', () => {
  test('kernel_info names the streamlab TypeScript kernel', () => {
    const info = kernel.kernelInfo;
    assert.equal(info.status, 'ok');
    assert.equal(info.implementation, 'streamlab');
    assert.equal(info.protocol_version, '5.3');
    assert.equal(info.language_info.name, 'typescript');
    assert.equal(info.language_info.file_extension, '.ts');
  });

  test("a cell's last value is an execute_result; a DataFrame shows as an HTML table with head, tail and shape", async () => {
    assert.deepEqual(resultData(await kernel.execute('6 * 7')), { 'text/plain': '42' });
    const r = await kernel.execute(
      "const df = streamlab.frameFromColumns({ n: Array.from({ length: 25 }, (_, i) => i), name: Array.from({ length: 25 }, (_, i) => `row<${i}>`) });\ndf",
    );
    const data = resultData(r);
    const html = String(data['text/html']);
    assert.match(html, /<table class="dataframe">/);
    assert.match(html, /<th>n<\/th><th>name<\/th>/);
    assert.match(html, /<td>row&lt;0&gt;<\/td>/, 'cells are escaped');
    assert.match(html, /<td>row&lt;24&gt;<\/td>/, 'the tail is shown');
    assert.doesNotMatch(html, /row&lt;12&gt;/, 'the middle is elided');
    assert.match(html, /25 rows × 2 columns/);
    assert.match(String(data['text/plain']), /\[25 rows × 2 columns\]$/);
  });

  test('display_data, update_display_data and clear_output come from the notebook API', async () => {
    const r = await kernel.execute("const id = notebook.display({ step: 1 });\nnotebook.update(id, { step: 2 });\nnotebook.clear({ wait: true });\nconsole.log('after clear');");
    const shown = messagesOfType(r.iopub, 'display_data');
    const updated = messagesOfType(r.iopub, 'update_display_data');
    assert.equal(shown.length, 1);
    assert.equal(updated.length, 1);
    assert.equal(shown[0]!.content.transient.display_id, updated[0]!.content.transient.display_id);
    assert.equal(shown[0]!.content.data['text/plain'], 'step  1', 'a plain object reads as fields and values');
    assert.equal(updated[0]!.content.data['text/plain'], 'step  2');
    assert.deepEqual(messagesOfType(r.iopub, 'clear_output').map((m) => m.content), [{ wait: true }]);
    assert.equal(r.stdout, 'after clear\n');
  });

  test('tslab display API works too', async () => {
    const r = await kernel.execute("import * as tslab from 'tslab';\ntslab.display.html('<b>bold</b>');");
    assert.deepEqual(messagesOfType(r.iopub, 'display_data').map((m) => m.content.data['text/html']), ['<b>bold</b>']);
  });

  test('a type error is one TypeScript error output with its cell position', async () => {
    await kernel.execute('const count: number = 3;');
    const e = errorOf(await kernel.execute('const label: string = count;'));
    assert.equal(e.ename, 'TypeScriptError');
    assert.equal(e.evalue, "1:7 - Type 'number' is not assignable to type 'string'.");
  });

  test("a library error is one line, with none of the kernel's stack", async () => {
    const e = errorOf(await kernel.execute("await streamlab.session.consume({ topic: 'no-such-topic-here' });"));
    assert.equal(e.ename, 'StreamlabError');
    assert.match(e.evalue, /^consuming 'no-such-topic-here': unknown topic 'no-such-topic-here' at 127\.0\.0\.1:\d+/);
    assert.deepEqual(e.traceback, [`StreamlabError: ${e.evalue}`]);
  });

  test('a runtime error keeps only the frames of cell code', async () => {
    const e = errorOf(await kernel.execute('function explode(): never { throw new RangeError("too far"); }\nexplode();'));
    assert.equal(e.ename, 'RangeError');
    assert.equal(e.evalue, 'too far');
    assert.ok(e.traceback.every((line) => !/node_modules|dist\/kernel|node:internal|evalmachine/.test(line)), e.traceback.join('\n'));
    assert.equal(e.traceback[1], 'at cell line 1, column 35 (in explode):', 'where the error was made: new RangeError');
    assert.equal(e.traceback[4], 'called from cell line 2, column 1:');
  });

  test('a runtime error cites the line and column of the cell as written, with the line and a caret', async () => {
    const cell = ['const readings = [{ value: { level: 1 } }, { value: null }];', '', 'const levels = readings.map((r: any) => r.value.level);'].join('\n');
    const e = errorOf(await kernel.execute(cell));
    assert.equal(e.ename, 'TypeError');
    assert.match(e.evalue, /reading 'level'/);
    assert.equal(e.traceback[1], 'at cell line 3, column 49:');
    assert.equal(e.traceback[2], '  3 | const levels = readings.map((r: any) => r.value.level);');
    assert.equal(e.traceback[3], `    | ${' '.repeat(48)}^`);
    assert.ok(e.traceback.some((l) => /frames not shown/.test(l)), 'library frames are counted, not shown');
    // After a magic line (expanded to generated code), lines still count as the user wrote them.
    const after = errorOf(await kernel.execute('%streams\nconst x: any = undefined;\nx.boom;'));
    assert.equal(after.traceback[1], 'at cell line 3, column 3:');
  });

  test('an error aborts the cells queued behind it, as stop_on_error asks', async () => {
    const first = kernel.execute('throw new Error("first fails")');
    const second = kernel.execute('"never runs"');
    assert.equal((await first).reply.content.status, 'error');
    const r = await second;
    assert.equal(r.reply.content.status, 'aborted');
    assert.equal(messagesOfType(r.iopub, 'execute_result').length, 0);
  });

  test('is_complete tells complete, incomplete (with indent) and invalid code apart', async () => {
    const ask = async (code: string) => (await kernel.request('shell', 'is_complete_request', { code })).content;
    assert.deepEqual(await ask('const a = 1;'), { status: 'complete' });
    assert.deepEqual(await ask('function f() {'), { status: 'incomplete', indent: '  ' });
    assert.deepEqual(await ask('const = = 2;'), { status: 'invalid' });
  });

  test('complete and inspect answer for TypeScript, using what earlier cells declared', async () => {
    await kernel.execute('const sensorReadings = [1, 2, 3];');
    const code = 'sensorRe';
    const c = (await kernel.request('shell', 'complete_request', { code, cursor_pos: code.length })).content;
    assert.ok(c.matches.includes('sensorReadings'), JSON.stringify(c.matches));
    assert.equal(c.cursor_start, 0);
    assert.equal(c.cursor_end, code.length);
    const i = (await kernel.request('shell', 'inspect_request', { code: 'sensorReadings', cursor_pos: 3, detail_level: 0 })).content;
    assert.equal(i.found, true);
    assert.match(i.data['text/plain'], /const sensorReadings: number\[\]/);
  });

  test('history answers tail, range and search', async () => {
    const marker = `history-${Date.now()}`;
    const r = await kernel.execute(`"${marker}"`);
    const count = r.reply.content.execution_count as number;
    const tail = (await kernel.request('shell', 'history_request', { hist_access_type: 'tail', n: 1, output: false, raw: true })).content;
    assert.deepEqual(tail, { status: 'ok', history: [[1, count, `"${marker}"`]] });
    const range = (await kernel.request('shell', 'history_request', { hist_access_type: 'range', session: 0, start: count, stop: count + 1, output: false, raw: true })).content;
    assert.deepEqual(range.history, [[1, count, `"${marker}"`]]);
    const search = (await kernel.request('shell', 'history_request', { hist_access_type: 'search', pattern: `*${marker}*`, unique: true, output: false, raw: true })).content;
    assert.deepEqual(search.history, [[1, count, `"${marker}"`]]);
  });
});

describe('comms', () => {
  test('the streams target answers list and stop requests, and comm_info lists open comms', async () => {
    const topic = uniqueTopic('comm');
    await broker.createTopic(topic, 2);
    await kernel.execute(`await streamlab.session.consume({ topic: '${topic}', name: 'comm-stream' });`);
    const commId = `comm-${Date.now()}`;
    const opened = collectComm(kernel, commId);
    kernel.send('shell', 'comm_open', { comm_id: commId, target_name: 'streamlab.streams', data: {} });
    const hello = await opened.next();
    assert.equal(hello.event, 'open');
    assert.ok((hello.streams as { name: string }[]).some((s) => s.name === 'comm-stream'));

    const info = (await kernel.request('shell', 'comm_info_request', { target_name: 'streamlab.streams' })).content;
    assert.deepEqual(info.comms[commId], { target_name: 'streamlab.streams' });

    kernel.send('shell', 'comm_msg', { comm_id: commId, data: { request: 'stop', name: 'comm-stream' } });
    const stopped = await opened.next();
    assert.deepEqual(stopped.names, ['comm-stream']);
    assert.ok(!(stopped.streams as { name: string }[]).some((s) => s.name === 'comm-stream'));

    kernel.send('shell', 'comm_msg', { comm_id: commId, data: { request: 'explode' } });
    assert.match(String((await opened.next()).error), /^unknown request 'explode': use list, watch/);
    kernel.send('shell', 'comm_close', { comm_id: commId, data: {} });
    await sleep(200);
    const after = (await kernel.request('shell', 'comm_info_request', {})).content;
    assert.equal(after.comms[commId], undefined);
    opened.stop();
  });

  test('requests answered while a cell runs (comm traffic, completion) leave the kernel busy until the cell ends', async () => {
    const statuses: { state: string; parent: string }[] = [];
    const off = kernel.on('iopub', (m) => {
      if (m.header.msg_type === 'status') statuses.push({ state: String(m.content.execution_state), parent: String(m.parent_header.msg_id ?? '') });
    });
    try {
      const cell = kernel.execute('await new Promise((resolve) => setTimeout(resolve, 1500)); 1');
      await sleep(300);
      const commId = `busy-${Date.now()}`;
      const opened = collectComm(kernel, commId);
      kernel.send('shell', 'comm_open', { comm_id: commId, target_name: 'streamlab.streams', data: {} });
      await opened.next();
      kernel.send('shell', 'comm_msg', { comm_id: commId, data: { request: 'list' } });
      await opened.next();
      const completion = await kernel.request('shell', 'complete_request', { code: 'Math.fl', cursor_pos: 7 });
      assert.ok((completion.content.matches as string[]).includes('floor'), 'answered while the cell runs');
      const ran = await cell;
      const cellId = String(ran.reply.parent_header.msg_id);
      const cellIdle = statuses.findIndex((s) => s.state === 'idle' && s.parent === cellId);
      const cellBusy = statuses.findIndex((s) => s.state === 'busy' && s.parent === cellId);
      assert.ok(cellBusy >= 0 && cellIdle > cellBusy);
      // What JupyterLab shows is the last status it saw: between the cell's busy and idle, never idle.
      assert.deepEqual(statuses.slice(cellBusy, cellIdle).filter((s) => s.state === 'idle'), []);
      await sleep(200);
      assert.ok(statuses.slice(cellIdle + 1).filter((s) => s.state === 'idle').length >= 3, 'the requests\' own idles follow the cell\'s');
      kernel.send('shell', 'comm_close', { comm_id: commId, data: {} });
      opened.stop();
    } finally {
      off();
    }
  });

  test('a comm to an unknown target is closed straight back', async () => {
    const commId = `ghost-${Date.now()}`;
    const closed = new Promise<JupyterMessage>((resolve) => {
      const off = kernel.on('iopub', (m) => {
        if (m.header.msg_type === 'comm_close' && m.content.comm_id === commId) {
          off();
          resolve(m);
        }
      });
    });
    kernel.send('shell', 'comm_open', { comm_id: commId, target_name: 'no.such.target', data: {} });
    assert.match(String((await closed).content.data.error), /no comm target 'no.such.target'/);
  });
});

describe('background streams', () => {
  test('an interrupt stops the waiting cell, not the stream, and the kernel goes on', async () => {
    const topic = uniqueTopic('interrupt');
    await broker.createTopic(topic, 2);
    await kernel.execute(`const live = await streamlab.session.consume({ topic: '${topic}', name: 'live', from: 'earliest' });`);
    const long = kernel.execute('await new Promise((resolve) => setTimeout(resolve, 120_000));');
    await sleep(1000);
    await kernel.interrupt();
    const r = await long;
    assert.equal(r.reply.content.status, 'error');
    assert.equal(errorOf(r).ename, 'Interrupted');

    const spin = kernel.execute('while (true) {}');
    await sleep(1000);
    await kernel.interrupt();
    assert.equal(errorOf(await spin).ename, 'Interrupted', 'a synchronous loop is broken too');

    await produceRaw(broker.connection, topic, Array.from({ length: 500 }, (_, i) => ({ value: JSON.stringify({ i }) })));
    let records = 0;
    for (let tries = 0; tries < 50 && records < 500; tries++) {
      records = Number(resultData(await kernel.execute('live.metrics().records'))['text/plain']);
      if (records < 500) await sleep(200);
    }
    assert.equal(records, 500, 'the stream kept consuming through both interrupts');
    assert.equal(resultData(await kernel.execute("live.state")) ['text/plain'], "'running'");
    await kernel.execute("await streamlab.session.stop('live');");
  });

  test('a kernel that loses its broker says so once, keeps serving cells, and says when it is back', async () => {
    const topic = uniqueTopic('outage');
    await broker.createTopic(topic, 1);
    const r = await kernel.execute(`await streamlab.session.consume({ topic: '${topic}', name: 'fragile' }); 'started'`);
    const problems: string[] = [];
    const off = kernel.on('iopub', (m) => {
      if (m.header.msg_type === 'stream' && m.content.name === 'stderr' && /stream 'fragile'/.test(m.content.text)) problems.push(m.content.text);
    });
    assert.equal(r.reply.content.status, 'ok');
    await broker.setBrokerDown(1);
    for (let i = 0; i < 100 && problems.length === 0; i++) await sleep(200);
    assert.equal(problems.length, 1, 'one message about the outage');
    assert.match(problems[0]!, /^streamlab: stream 'fragile' lost its broker and is reconnecting \(.*\); cells still run\n$/);
    assert.deepEqual(resultData(await kernel.execute('1 + 1')), { 'text/plain': '2' }, 'cells run while the broker is down');
    await sleep(3000);
    assert.equal(problems.length, 1, 'said once, not on every retry');
    await broker.setBrokerUp(1);
    await produceRaw(broker.connection, topic, [{ value: '{"after":true}' }]);
    for (let i = 0; i < 150 && problems.length < 2; i++) await sleep(200);
    off();
    assert.match(problems[1] ?? '', /^streamlab: stream 'fragile' is back/);
    await kernel.execute("await streamlab.session.stop('fragile');");
  });
});

describe('lifecycle', () => {
  test('a restart leaves no consumer behind: the broker no longer knows its group member', async () => {
    const topic = uniqueTopic('restart');
    await broker.createTopic(topic, 3);
    const member = async (k: KernelProcess) => {
      await k.execute(`const s = await streamlab.session.consume({ topic: '${topic}' });`);
      const text = async (expression: string) => String(resultData(await k.execute(expression))['text/plain']).replace(/^'|'$/g, '');
      return [await text('s.groupId'), await text('s.metrics().memberId')] as const;
    };

    const restarting = await startStreamlabKernel();
    const [groupId, memberId] = await member(restarting);
    assert.notEqual(await heartbeatError(broker.bootstrapServers, groupId, memberId), UNKNOWN_MEMBER_ID, 'a running stream is a member');
    const shutdown = await restarting.shutdown({ restart: true });
    assert.equal(shutdown.reply?.content.restart, true);
    assert.equal(shutdown.forcedKill, false, 'the kernel exits by itself');
    assert.equal(shutdown.exitCode, 0);
    assert.equal(await heartbeatError(broker.bootstrapServers, groupId, memberId), UNKNOWN_MEMBER_ID, 'the member left its group');

    // The same probe does see a member that did not leave: a kernel killed outright leaves one behind.
    const killed = await startStreamlabKernel();
    const [ghostGroup, ghost] = await member(killed);
    killed.killNow();
    await killed.waitForExit(5000);
    assert.notEqual(await heartbeatError(broker.bootstrapServers, ghostGroup, ghost), UNKNOWN_MEMBER_ID);
    await killed.close();
  });

  test('`streamlab install --prefix` writes a kernelspec Jupyter can start, and uninstall removes it', () => {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlab-prefix-'));
    const cli = path.join(__dirname, '..', 'cli', 'main.js');
    const install = spawnSync(process.execPath, [cli, 'install', '--prefix', prefix], { encoding: 'utf8' });
    assert.equal(install.status, 0, install.stderr);
    const specFile = path.join(prefix, 'share', 'jupyter', 'kernels', 'streamlab', 'kernel.json');
    const spec = JSON.parse(fs.readFileSync(specFile, 'utf8')) as { argv: string[]; display_name: string; language: string; interrupt_mode: string };
    assert.equal(spec.display_name, 'TypeScript (streamlab)');
    assert.equal(spec.language, 'typescript');
    assert.equal(spec.interrupt_mode, 'signal');
    assert.ok(fs.existsSync(spec.argv[1]!), 'the argv points at the built kernel');
    assert.deepEqual(spec.argv.slice(2), ['--connection-file', '{connection_file}']);
    const twice = spawnSync(process.execPath, [cli, 'install', '--prefix', prefix, '--user'], { encoding: 'utf8' });
    assert.equal(twice.status, 1);
    assert.match(twice.stderr, /^streamlab: choose one of --user, --sys-prefix and --prefix: usage: /);
    const uninstall = spawnSync(process.execPath, [cli, 'uninstall', '--prefix', prefix], { encoding: 'utf8' });
    assert.equal(uninstall.status, 0);
    assert.equal(fs.existsSync(specFile), false);
    fs.rmSync(prefix, { recursive: true, force: true });
  });
});

/** Comm messages for one comm id, one at a time. */
