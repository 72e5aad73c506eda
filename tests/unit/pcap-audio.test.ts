/** rtpengine's pcap recordings as two-channel audio: decoding, sides, timing. */
import { describe, expect, it } from 'vitest';
import { alawToLinear, closedWav, readPcap, readWavInfo, rtpStreams, stereoCall, ulawToLinear, wavFile } from '../../src-server/telephony/pcap-audio.js';

/** A raw-IP pcap (link type 101) of RTP packets: [capture time s, source port, payload type, RTP timestamp, payload byte, payload length]. */
function pcap(packets: ([number, number, number, number, number] | [number, number, number, number, number, number])[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(101, 20);
  const records = packets.map(([t, port, pt, ts, byte, length = 160]) => {
    const rtp = Buffer.alloc(12 + length, byte);
    rtp[0] = 0x80;
    rtp[1] = pt;
    rtp.writeUInt32BE(ts, 4);
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(port, 0);
    udp.writeUInt16BE(30000, 2);
    udp.writeUInt16BE(8 + rtp.length, 4);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip[9] = 17;
    ip.set([127, 0, 0, 1], 12);
    ip.set([127, 0, 0, 1], 16);
    const body = Buffer.concat([ip, udp, rtp]);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(t), 0);
    rec.writeUInt32LE(Math.round((t % 1) * 1e6), 4);
    rec.writeUInt32LE(body.length, 8);
    rec.writeUInt32LE(body.length, 12);
    return Buffer.concat([rec, body]);
  });
  return Buffer.concat([header, ...records]);
}

describe('pcap recordings', () => {
  it('G.711 decoding matches the reference values', () => {
    expect(alawToLinear(0xd5)).toBe(8);
    expect(alawToLinear(0x55)).toBe(-8);
    expect(alawToLinear(0xaa)).toBe(32256);
    expect(ulawToLinear(0xff)).toBe(0);
    expect(ulawToLinear(0x80)).toBe(32124);
    expect(ulawToLinear(0x00)).toBe(-32124);
  });

  it('the caller (by the port of its SDP) on the left, the agent on the right, each packet where its RTP timestamp puts it', () => {
    const file = pcap([
      [1000.0, 40000, 8, 5000, 0xaa], // caller, A-law
      [1000.005, 50000, 0, 90000, 0x80], // agent, µ-law, starts 5 ms later
      [1000.027, 40000, 8, 5160, 0xaa], // captured 7 ms late: placed by its timestamp
      [1000.025, 50000, 0, 90160, 0x80],
    ]);
    const streams = rtpStreams(file);
    expect(streams.map((s) => [s.sourcePort, s.packets.length])).toEqual([
      [40000, 2],
      [50000, 2],
    ]);
    const call = stereoCall(streams, 40000);
    expect(call.startedAt).toBe(1_000_000);
    expect(call.caller.slice(0, 320).every((x) => x === 32256)).toBe(true);
    expect(call.agent[39]).toBe(0);
    expect(call.agent[40]).toBe(32124);
    expect(call.agent[40 + 319]).toBe(32124);
    expect(call.durationMs).toBe(45);
    // Without the caller's port: the stream that started first is the caller.
    expect(stereoCall(streams, null).caller[0]).toBe(32256);
    expect(stereoCall(streams, 50000).caller[40]).toBe(32124);
  });

  it('a file that is not a pcap, or holds no G.711, is an error', () => {
    expect(() => rtpStreams(Buffer.from('not a pcap at all, really not'))).toThrow(/pcap/);
    expect(() => stereoCall(rtpStreams(pcap([[1, 4000, 96, 0, 1]])), null)).toThrow(/no G\.711/);
  });

  it('counts the audio it cannot decode (an Opus leg) apart from DTMF events, so that a recording is never silently empty', () => {
    const { streams, undecodable } = readPcap(pcap([[1, 4000, 111, 0, 7], [1.02, 4000, 111, 160, 7], [1.04, 5000, 101, 0, 1, 4]]));
    expect(streams).toEqual([]);
    expect(undecodable).toBe(2);
  });

  it('writes a two-channel 8 kHz WAV', () => {
    const wav = wavFile([Int16Array.from([1, 2]), Int16Array.from([-1, -2])]);
    expect(wav.toString('latin1', 0, 4)).toBe('RIFF');
    expect(wav.readUInt16LE(22)).toBe(2);
    expect(wav.readUInt32LE(24)).toBe(8000);
    expect([wav.readInt16LE(44), wav.readInt16LE(46), wav.readInt16LE(48), wav.readInt16LE(50)]).toEqual([1, -1, 2, -2]);
  });
});

/**
 * A WAV as libav writes it: the pcap path's 16-bit PCM file with a LIST (odd-sized text, padded)
 * between `fmt ` and `data`; with placeholders for sizes while it is being written.
 */
function libavWav(samples: number, channels = 1, sizes: 'closed' | 'placeholders' = 'closed'): Buffer {
  const plain = wavFile(Array.from({ length: channels }, () => new Int16Array(samples)));
  const text = Buffer.from('INFOISFT\x0d\x00\x00\x00Lavf59.27.100\x00', 'latin1');
  const list = Buffer.concat([Buffer.from('LIST', 'latin1'), Buffer.alloc(4), text]);
  list.writeUInt32LE(text.length - 1, 4);
  const wav = Buffer.concat([plain.subarray(0, 36), list, plain.subarray(36)]);
  wav.writeUInt32LE(sizes === 'closed' ? wav.length - 8 : 0, 4);
  if (sizes === 'placeholders') wav.writeUInt32LE(0, 36 + list.length + 4);
  return wav;
}

describe('the recording daemon’s WAV files', () => {
  it('reads the format, the length and whether the writer closed it, past the chunks it does not need', () => {
    const info = readWavInfo(libavWav(16_000, 2));
    expect(info).toMatchObject({ channels: 2, sampleRate: 8000, closed: true, durationMs: 2000, dataBytes: 64_000 });
    const open = readWavInfo(libavWav(8_000, 1, 'placeholders'));
    expect(open).toMatchObject({ closed: false, durationMs: 1000, dataBytes: 16_000 });
    // Left unclosed: the same samples under right sizes, which then read as closed.
    const mended = closedWav(libavWav(8_000, 1, 'placeholders'), open);
    expect(readWavInfo(mended)).toMatchObject({ closed: true, durationMs: 1000 });
  });

  it('refuses what is not 16-bit PCM audio', () => {
    expect(() => readWavInfo(Buffer.from('not a wav file, though long enough'))).toThrow(/RIFF/);
    const eightBit = libavWav(100);
    eightBit.writeUInt16LE(8, 12 + 22);
    expect(() => readWavInfo(eightBit)).toThrow(/16-bit PCM/);
    const sixChannels = libavWav(100);
    sixChannels.writeUInt16LE(6, 12 + 10);
    expect(() => readWavInfo(sixChannels)).toThrow(/6 channels/);
    expect(() => readWavInfo(libavWav(100).subarray(0, 36))).toThrow(/no data chunk/);
  });
});
