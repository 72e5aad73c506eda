/**
 * rtpengine's pcap recordings (recording-method=pcap) as audio: the RTP packets each side sent,
 * decoded (G.711 A-law and µ-law) and laid on one channel per side, time-aligned on the capture
 * clock: channel 1 the caller (the patient), channel 2 the agent. And the WAV files of rtpengine's
 * recording daemon, where hosts have it, read and checked. No I/O here.
 */

export interface RtpStream {
  /** "address:port" the packets came from. */
  source: string;
  sourcePort: number;
  payloadType: number;
  /** Capture time (seconds), RTP timestamp and decoded samples of each packet. */
  packets: { t: number; ts: number; pcm: Int16Array }[];
}

export function alawToLinear(byte: number): number {
  const a = byte ^ 0x55;
  const exp = (a & 0x70) >> 4;
  let mag = ((a & 0x0f) << 4) + 8;
  if (exp !== 0) mag = (mag + 0x100) << (exp - 1);
  return a & 0x80 ? mag : -mag;
}

export function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const exp = (u >> 4) & 0x07;
  const mag = ((((u & 0x0f) << 3) + 0x84) << exp) - 0x84;
  return u & 0x80 ? -mag : mag;
}

const DECODERS: Record<number, (b: number) => number> = { 0: ulawToLinear, 8: alawToLinear };

/** The audio streams of a pcap file (link type raw IP or Ethernet), one per source address. */
export function rtpStreams(pcap: Buffer): RtpStream[] {
  return readPcap(pcap).streams;
}

/** The streams, and how many RTP packets could not be decoded (a codec other than G.711). */
export function readPcap(pcap: Buffer): { streams: RtpStream[]; undecodable: number } {
  if (pcap.length < 24) throw new Error('pcap: file too short');
  const magic = pcap.readUInt32LE(0);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!little && pcap.readUInt32BE(0) !== 0xa1b2c3d4 && pcap.readUInt32BE(0) !== 0xa1b23c4d) throw new Error('pcap: not a pcap file');
  const nano = (little ? magic : pcap.readUInt32BE(0)) === 0xa1b23c4d;
  const u32 = (o: number) => (little ? pcap.readUInt32LE(o) : pcap.readUInt32BE(o));
  const linkType = u32(20);
  if (linkType !== 1 && linkType !== 101 && linkType !== 228) throw new Error(`pcap: link type ${linkType} not handled`);
  const streams = new Map<string, RtpStream>();
  let undecodable = 0;
  for (let off = 24; off + 16 <= pcap.length; ) {
    const t = u32(off) + u32(off + 4) / (nano ? 1e9 : 1e6);
    const length = u32(off + 8);
    let p = pcap.subarray(off + 16, Math.min(pcap.length, off + 16 + length));
    off += 16 + length;
    if (linkType === 1) p = p.subarray(14);
    if (p.length < 28 || p[0]! >> 4 !== 4 || p[9] !== 17) continue;
    const ihl = (p[0]! & 0x0f) * 4;
    const udp = p.subarray(ihl);
    const rtp = udp.subarray(8);
    if (rtp.length < 12 || rtp[0]! >> 6 !== 2) continue;
    const payloadType = rtp[1]! & 0x7f;
    const decode = DECODERS[payloadType];
    if (!decode) {
      // telephone-event (DTMF) and comfort noise are not audio to lay down; anything else is.
      if (payloadType < 96 && payloadType !== 13) undecodable += 1;
      else if (payloadType >= 96 && rtp.length - 12 > 8) undecodable += 1;
      continue;
    }
    const csrc = (rtp[0]! & 0x0f) * 4;
    let start = 12 + csrc;
    if (rtp[0]! & 0x10) start += 4 + rtp.readUInt16BE(start + 2) * 4;
    let end = rtp.length;
    if (rtp[0]! & 0x20) end -= rtp[end - 1]!;
    const payload = rtp.subarray(start, end);
    const pcm = new Int16Array(payload.length);
    for (let i = 0; i < payload.length; i++) pcm[i] = decode(payload[i]!);
    const sourcePort = udp.readUInt16BE(0);
    const source = `${p.subarray(12, 16).join('.')}:${sourcePort}`;
    let s = streams.get(source);
    if (!s) streams.set(source, (s = { source, sourcePort, payloadType, packets: [] }));
    s.packets.push({ t, ts: rtp.readUInt32BE(4), pcm });
  }
  return { streams: [...streams.values()], undecodable };
}

export interface StereoCall {
  caller: Int16Array;
  agent: Int16Array;
  durationMs: number;
  /** When the first packet was captured (ms since the epoch). */
  startedAt: number;
}

/**
 * The two sides of a bridged call: the caller's stream is the one from `callerPort` (the port of
 * the caller's SDP); without it, the stream that started first. Other streams (a third party of a
 * conference) are mixed into the agent's side.
 */
export function stereoCall(streams: RtpStream[], callerPort: number | null): StereoCall {
  const withAudio = streams.filter((s) => s.packets.length > 0);
  if (withAudio.length === 0) throw new Error('pcap: no G.711 audio in the recording');
  const first = (s: RtpStream) => s.packets[0]!.t;
  const callerStream = withAudio.find((s) => s.sourcePort === callerPort) ?? [...withAudio].sort((a, b) => first(a) - first(b))[0]!;
  const t0 = Math.min(...withAudio.map(first));
  // Each packet where its RTP timestamp puts it (the sender's clock: no clicks from the capture's
  // jitter), the stream anchored where its first packet was captured; a new timestamp base (a
  // re-INVITE, a new source) re-anchors on the capture clock.
  const placed = withAudio.map((s) => {
    let anchor = Math.round((s.packets[0]!.t - t0) * 8000);
    let base = s.packets[0]!.ts;
    const at = s.packets.map((pk) => {
      let offset = (pk.ts - base) >>> 0;
      const byClock = Math.round((pk.t - t0) * 8000);
      if (Math.abs(anchor + offset - byClock) > 8000) {
        anchor = byClock;
        base = pk.ts;
        offset = 0;
      }
      return anchor + offset;
    });
    return { s, at };
  });
  const n = Math.max(1, ...placed.flatMap(({ s, at }) => s.packets.map((pk, i) => at[i]! + pk.pcm.length)));
  const caller = new Int16Array(n);
  const agent = new Int16Array(n);
  for (const { s, at } of placed) {
    const into = s === callerStream ? caller : agent;
    s.packets.forEach((pk, k) => {
      const from = at[k]!;
      for (let i = 0; i < pk.pcm.length; i++) into[from + i] = Math.max(-32768, Math.min(32767, into[from + i]! + pk.pcm[i]!));
    });
  }
  return { caller, agent, durationMs: Math.round((n / 8000) * 1000), startedAt: Math.round(t0 * 1000) };
}

/** A 16-bit PCM WAV, 8 kHz, one channel per array, interleaved. */
export function wavFile(channels: Int16Array[]): Buffer {
  const c = channels.length;
  const n = channels[0]!.length;
  const data = Buffer.alloc(n * c * 2);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) data.writeInt16LE(channels[k]![i]!, (i * c + k) * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(c, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(8000 * 2 * c, 28);
  h.writeUInt16LE(2 * c, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** What a PCM WAV file says of itself, read from its chunks (no I/O). */
export interface WavInfo {
  channels: number;
  sampleRate: number;
  /** Where the samples start, and how many bytes of them there are in this buffer. */
  dataOffset: number;
  dataBytes: number;
  /** Whether the writer closed it: the RIFF and data sizes were filled in and match the file. */
  closed: boolean;
  durationMs: number;
}

/**
 * Reads a WAV file's header, as rtpengine's recording daemon writes it (libav's WAV muxer: RIFF,
 * `fmt `, maybe a LIST, `data`; the sizes filled in when the file is closed). Throws on anything
 * that is not 16-bit PCM, 1 to 4 channels, so a file that is not audio is an error, not a recording.
 */
export function readWavInfo(wav: Buffer): WavInfo {
  if (wav.length < 12 || wav.toString('latin1', 0, 4) !== 'RIFF' || wav.toString('latin1', 8, 12) !== 'WAVE') throw new Error('wav: not a RIFF/WAVE file');
  let offset = 12;
  let fmt: { format: number; channels: number; sampleRate: number; bits: number } | null = null;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('latin1', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > wav.length) throw new Error('wav: fmt chunk too short');
      fmt = { format: wav.readUInt16LE(body), channels: wav.readUInt16LE(body + 2), sampleRate: wav.readUInt32LE(body + 4), bits: wav.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt) throw new Error('wav: data before fmt');
      // WAVE_FORMAT_PCM, or WAVE_FORMAT_EXTENSIBLE (libav uses it beyond two channels).
      if ((fmt.format !== 1 && fmt.format !== 0xfffe) || fmt.bits !== 16) throw new Error(`wav: 16-bit PCM expected (format ${fmt.format}, ${fmt.bits} bits)`);
      if (fmt.channels < 1 || fmt.channels > 4 || fmt.sampleRate < 8000 || fmt.sampleRate > 48000) throw new Error(`wav: ${fmt.channels} channels at ${fmt.sampleRate} Hz not supported`);
      const available = wav.length - body;
      const closed = size > 0 && size <= available && wav.readUInt32LE(4) === wav.length - 8;
      const frame = fmt.channels * 2;
      const dataBytes = Math.floor((closed ? size : available) / frame) * frame;
      return { channels: fmt.channels, sampleRate: fmt.sampleRate, dataOffset: body, dataBytes, closed, durationMs: Math.round((dataBytes / frame / fmt.sampleRate) * 1000) };
    }
    offset = body + size + (size % 2);
  }
  throw new Error('wav: no data chunk');
}

/** The same samples in a WAV whose sizes are right (a file the daemon left unclosed). */
export function closedWav(wav: Buffer, info: WavInfo): Buffer {
  if (info.closed) return wav;
  const head = Buffer.from(wav.subarray(0, info.dataOffset));
  head.writeUInt32LE(info.dataOffset - 8 + info.dataBytes, 4);
  head.writeUInt32LE(info.dataBytes, info.dataOffset - 4);
  return Buffer.concat([head, wav.subarray(info.dataOffset, info.dataOffset + info.dataBytes)]);
}
