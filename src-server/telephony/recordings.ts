/**
 * The recordings of the center's conversations: the lines' calls, and every other call rtpengine
 * bridges (a caller's leg after a transfer, a callback to a patient). rtpengine writes each as a pcap into a
 * spool (recording-method=pcap: its recording daemon needs a kernel module some hosts cannot
 * load); this service takes each finished one (rtpengine moves its metadata file into
 * metadata/ when the call ends), turns it into a two-channel Ogg Vorbis file (caller left, agent
 * right) with sox through pipes, encrypts it (AES-256-GCM, the server's recordings key) into the
 * store, records it in PostgreSQL against the call, and deletes the pcap: no audio stays in clear.
 * On hosts that have the kernel module, a setting takes the recording daemon's WAV files instead
 * (both voices mixed), and treats them the same way.
 * Recordings are kept for the center's retention period, then purged by a job that writes what
 * it purged.
 */
import { spawn } from 'node:child_process';
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SqlDatabase } from '../db/sql.js';
import { closedWav, readPcap, readWavInfo, stereoCall, wavFile, type WavInfo } from './pcap-audio.js';

/**
 * Where rtpengine's recordings come from: its recording-dir (pcaps/, metadata/) with
 * recording-method=pcap, or the output-dir of its recording daemon (recording-method=proc).
 */
export type RecordingSource = { spoolDir: string; daemonOutputDir?: undefined } | { daemonOutputDir: string; spoolDir?: undefined };

export type RecordingSettings = RecordingSource & {
  /** Where the encrypted recordings are kept. */
  storeDir: string;
  /** 32 bytes. */
  key: Buffer;
  /** How long a recording is kept (days; the current texts ask 5 years). */
  retentionDays: number;
};

/** A call a recording may belong to, as the store finds it. */
interface KnownCall {
  tenant: string;
  line: string;
  caller: string;
  answered_by: string | null;
  caller_media: string | null;
  answered_at: string | null;
  ended: boolean;
  source: 'line_calls' | 'recorded_calls';
}

/** A recording found in rtpengine's output, before it is known whose call it is. */
interface RawRecording {
  callId: string;
  /** Whether it may be taken now (the recording daemon's: the call is over and the file done). */
  ready(call: KnownCall): Promise<boolean>;
  /** The audio as a WAV for the encoder, its length and start; throws when it cannot be read. */
  audio(call: KnownCall): Promise<{ wav: Buffer; durationMs: number; startedAt: number; format: string }>;
  /** The files in clear, deleted once it is taken (stored or failed); read only for a call of ours. */
  files(): Promise<string[]>;
}

/** A daemon's file unchanged this long after its call ended is taken as it is. */
const DAEMON_FILE_LEFT_MS = 30_000;

export interface RecordingRow {
  id: string;
  callId: string;
  line: string;
  caller: string;
  agent: string | null;
  startedAt: number;
  durationMs: number;
  format: string;
  bytes: number;
  sha256: string;
  purgedAt: number | null;
}

const MAGIC = Buffer.from('PERMREC1');
export const RECORDING_MIME = 'audio/ogg';

export function encryptRecording(key: Buffer, plain: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(MAGIC);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]);
}

export function decryptRecording(key: Buffer, sealed: Buffer): Buffer {
  if (!sealed.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('enregistrement : format inconnu');
  const iv = sealed.subarray(MAGIC.length, MAGIC.length + 12);
  const tag = sealed.subarray(MAGIC.length + 12, MAGIC.length + 28);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(MAGIC);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(MAGIC.length + 28)), decipher.final()]);
}

/** WAV in, Ogg Vorbis out, through sox's stdin and stdout (nothing written in clear). */
export function encodeOgg(wav: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sox = spawn('sox', ['-q', '-t', 'wav', '-', '-t', 'ogg', '-C', '3', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    sox.stdout.on('data', (d: Buffer) => out.push(d));
    sox.stderr.on('data', (d: Buffer) => (err += d.toString()));
    sox.on('error', (e) => reject(new Error(`sox introuvable ou en échec : ${e.message}`)));
    sox.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`sox a échoué (${code}) : ${err.trim().slice(0, 300)}`))));
    sox.stdin.on('error', () => {});
    sox.stdin.end(wav);
  });
}

/** rtpengine's metadata file name: rtpengine-meta-<call-id>-<16 hex>.txt */
export function callIdOfMetadata(name: string): string | null {
  return /^rtpengine-meta-(.+)-[0-9a-f]{16}\.txt$/.exec(name)?.[1] ?? null;
}

export class RecordingStore {
  constructor(
    private readonly db: SqlDatabase,
    private readonly settings: RecordingSettings,
    private readonly now: () => number,
    private readonly log: (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void,
  ) {
    if (settings.key.length !== 32) throw new Error('clé des enregistrements : 32 octets attendus');
    mkdirSync(settings.storeDir, { recursive: true, mode: 0o700 });
  }

  /**
   * Takes every finished recording of a known call (a line's, or another bridged call) from
   * rtpengine's output. Returns the call ids stored; a recording that cannot be read marks its call
   * "failed" (an alert), never silent; the audio in clear is deleted either way.
   */
  async collect(): Promise<string[]> {
    const stored: string[] = [];
    const source = this.settings;
    const found = source.daemonOutputDir !== undefined ? await this.daemonRecordings(source.daemonOutputDir) : await this.pcapRecordings(source.spoolDir);
    for (const raw of found) {
      // A line call, or another bridged call (a transfer's leg, a callback: no line).
      const { rows } = await this.db.query<KnownCall>(
        `SELECT tenant, line, caller, answered_by, caller_media, answered_at, ended_at IS NOT NULL AS ended, 'line_calls' AS source FROM line_calls WHERE call_id = $1
         UNION ALL SELECT tenant, '' AS line, caller, agent, caller_media, answered_at, ended_at IS NOT NULL, 'recorded_calls' FROM recorded_calls WHERE call_id = $1`,
        [raw.callId],
        'recording-call',
      );
      const call = rows[0];
      if (!call || !(await raw.ready(call))) continue;
      const files = await raw.files();
      const mark = (state: 'stored' | 'failed', db: Pick<SqlDatabase, 'query'> = this.db) =>
        db.query(`UPDATE ${call.source} SET recording = $3 WHERE tenant = $1 AND call_id = $2`, [call.tenant, raw.callId, state]);
      try {
        const audio = await raw.audio(call);
        const ogg = await encodeOgg(audio.wav);
        const id = randomUUID();
        const file = join(this.settings.storeDir, `${id}.rec`);
        await writeFile(`${file}.part`, encryptRecording(this.settings.key, ogg), { mode: 0o600 });
        await rename(`${file}.part`, file);
        await this.db.transaction(async (tx) => {
          await tx.query(
            `INSERT INTO recordings (tenant, id, call_id, line, caller, agent, started_at, duration_ms, format, bytes, sha256, file, stored_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
            [call.tenant, id, raw.callId, call.line, call.caller, call.answered_by, audio.startedAt, audio.durationMs, audio.format, ogg.length, createHash('sha256').update(ogg).digest('hex'), basename(file), this.now()],
          );
          await mark('stored', tx);
        });
        stored.push(raw.callId);
        this.log('info', 'recording stored', { callId: raw.callId, durationMs: audio.durationMs, bytes: ogg.length });
      } catch (error) {
        await mark('failed');
        this.log('error', 'recording could not be stored', { callId: raw.callId, error: (error as Error).message });
      }
      // Audio in clear: gone either way (a failed conversion is an alert, not a leftover).
      for (const f of files) await rm(f, { force: true });
    }
    return stored;
  }

  /**
   * rtpengine's pcaps (recording-method=pcap): rtpengine moves a call's metadata file into
   * metadata/ when the call ends; its first line is the pcap. Two channels, caller left.
   */
  private async pcapRecordings(spoolDir: string): Promise<RawRecording[]> {
    const dir = join(spoolDir, 'metadata');
    if (!existsSync(dir)) return [];
    const found: RawRecording[] = [];
    for (const name of await readdir(dir)) {
      const callId = callIdOfMetadata(name);
      if (!callId) continue;
      const metaPath = join(dir, name);
      // Read once it is known to be one of our calls (a call of nobody here stays, unread).
      let pcapPath: Promise<string> | null = null;
      const pcapOf = () => (pcapPath ??= readFile(metaPath, 'utf8').then((meta) => meta.split('\n')[0]!.trim()));
      found.push({
        callId,
        ready: async () => true,
        audio: async (call) => {
          const port = Number(/^m=audio (\d+)/.exec(call.caller_media ?? '')?.[1]) || null;
          const { streams, undecodable } = readPcap(await readFile(await pcapOf()));
          const heard = streams.some((st) => st.packets.length > 0);
          // No audio packet at all (a call hung up as it was answered): an empty recording, kept as such.
          // Audio in a codec we cannot decode is a failure (an alert), never a silent empty file.
          if (!heard && undecodable > 0) throw new Error(`${undecodable} paquets audio dans un codec non pris en charge (G.711 attendu)`);
          const a = heard ? stereoCall(streams, port) : { caller: new Int16Array(0), agent: new Int16Array(0), durationMs: 0, startedAt: this.now() };
          return { wav: wavFile([a.caller, a.agent]), durationMs: a.durationMs, startedAt: a.startedAt, format: 'ogg-vorbis-2ch' };
        },
        files: async () => [await pcapOf(), metaPath],
      });
    }
    return found;
  }

  /**
   * rtpengine's recording daemon (recording-method=proc, on hosts with its kernel module): one mixed
   * WAV per call in its output-dir, named by output-pattern=%c-%t (`<call-id>-mix.wav`), both voices
   * mixed (mix-method=direct; one channel per voice with mix-method=channels). The daemon closes the
   * file when the call leaves rtpengine: taken once the call is over on our books and the file is
   * closed, or left unchanged for a while (a daemon that stopped mid-call: what it wrote is kept).
   */
  private async daemonRecordings(dir: string): Promise<RawRecording[]> {
    if (!existsSync(dir)) return [];
    const found: RawRecording[] = [];
    for (const name of await readdir(dir)) {
      const callId = /^(.+)-mix\.wav$/.exec(name)?.[1];
      if (!callId) continue;
      const path = join(dir, name);
      let file: { wav: Buffer; info: WavInfo } | null = null;
      const read = async () => {
        if (!file) {
          const wav = await readFile(path);
          file = { wav, info: readWavInfo(wav) };
        }
        return file;
      };
      found.push({
        callId,
        files: async () => [path],
        ready: async (call) => {
          if (!call.ended) return false;
          const left = this.now() - (await stat(path)).mtimeMs > DAEMON_FILE_LEFT_MS;
          try {
            return (await read()).info.closed || left;
          } catch {
            // Not a WAV (yet?): an error once the daemon has left it.
            return left;
          }
        },
        audio: async (call) => {
          const { wav, info } = await read();
          if (!info.closed) this.log('warn', 'recording left unclosed by the recording daemon: what it wrote is kept', { callId });
          return { wav: closedWav(wav, info), durationMs: info.durationMs, startedAt: Number(call.answered_at ?? this.now()), format: `ogg-vorbis-mixed-${info.channels}ch` };
        },
      });
    }
    return found;
  }

  async ofCalls(tenant: string, callIds: string[]): Promise<RecordingRow[]> {
    if (callIds.length === 0) return [];
    const { rows } = await this.db.query<{ id: string; call_id: string; line: string; caller: string; agent: string | null; started_at: string; duration_ms: string; format: string; bytes: string; sha256: string; purged_at: string | null }>(
      'SELECT id, call_id, line, caller, agent, started_at, duration_ms, format, bytes, sha256, purged_at FROM recordings WHERE tenant = $1 AND call_id = ANY($2::text[]) ORDER BY started_at',
      [tenant, callIds],
    );
    return rows.map((r) => ({
      id: r.id,
      callId: r.call_id,
      line: r.line,
      caller: r.caller,
      agent: r.agent,
      startedAt: Number(r.started_at),
      durationMs: Number(r.duration_ms),
      format: r.format,
      bytes: Number(r.bytes),
      sha256: r.sha256,
      purgedAt: r.purged_at === null ? null : Number(r.purged_at),
    }));
  }

  /** The audio (Ogg), decrypted; null when there is no such recording or it was purged. */
  async audio(tenant: string, id: string): Promise<{ audio: Buffer; callId: string; sha256: string } | null> {
    const { rows } = await this.db.query<{ file: string; call_id: string; sha256: string; purged_at: string | null }>('SELECT file, call_id, sha256, purged_at FROM recordings WHERE tenant = $1 AND id = $2', [tenant, id]);
    const r = rows[0];
    if (!r || r.purged_at !== null) return null;
    const audio = decryptRecording(this.settings.key, await readFile(join(this.settings.storeDir, r.file)));
    return { audio, callId: r.call_id, sha256: r.sha256 };
  }

  /** Deletes the recordings older than the retention; returns what was purged (for the audit). */
  async purgeExpired(): Promise<{ tenant: string; ids: string[] }[]> {
    const cutoff = this.now() - this.settings.retentionDays * 86_400_000;
    const { rows } = await this.db.query<{ tenant: string; id: string; file: string }>(
      'SELECT tenant, id, file FROM recordings WHERE purged_at IS NULL AND started_at < $1 ORDER BY started_at LIMIT 1000',
      [cutoff],
    );
    const byTenant = new Map<string, string[]>();
    for (const r of rows) {
      await rm(join(this.settings.storeDir, r.file), { force: true });
      await this.db.query('UPDATE recordings SET purged_at = $3 WHERE tenant = $1 AND id = $2', [r.tenant, r.id, this.now()]);
      byTenant.set(r.tenant, [...(byTenant.get(r.tenant) ?? []), r.id]);
    }
    return [...byTenant].map(([tenant, ids]) => ({ tenant, ids }));
  }
}
