import { describe, expect, it } from 'vitest';
import { annexB, isKeySlice, orderedParameterSets, RtpDepacketiser, spropParameterSets, type AccessUnit } from '../../agent/lib/rtp-video.js';
import { packetise } from '../../scripts/sim/rtsp-clip-server.js';

/** NAL units of a made-up H.264 access unit: SPS, PPS and an IDR slice of `size` bytes (or a P slice). */
function h264Unit(key: boolean, size: number, fill: number): Buffer[] {
  const slice = Buffer.alloc(size, fill);
  slice[0] = key ? 0x65 : 0x41;
  return key ? [Buffer.from([0x67, 0x42, 0, 0x1e]), Buffer.from([0x68, 0xce, 0x3c, 0x80]), slice] : [slice];
}

/** H.265: VPS, SPS, PPS and an IDR_W_RADL slice (type 19), or a TRAIL_R slice (type 1). */
function h265Unit(key: boolean, size: number, fill: number): Buffer[] {
  const slice = Buffer.alloc(size, fill);
  slice[0] = (key ? 19 : 1) << 1;
  slice[1] = 1;
  return key ? [Buffer.from([0x40, 1, 0xaa]), Buffer.from([0x42, 1, 0xbb]), Buffer.from([0x44, 1, 0xcc]), slice] : [slice];
}

function run(codec: 'h264' | 'h265', frames: Buffer[][], drop: (i: number) => boolean = () => false): AccessUnit[] {
  const d = new RtpDepacketiser(codec, { maxUnitBytes: 1 << 20 });
  let seq = 100;
  const units: AccessUnit[] = [];
  let n = 0;
  frames.forEach((f, i) => {
    for (const p of packetise(codec, f, () => seq++, i * 3600, 7)) if (!drop(n++)) units.push(...d.push(p));
  });
  return units;
}

describe('RTP depacketiser (RFC 6184 / RFC 7798)', () => {
  for (const [codec, unit] of [['h264', h264Unit], ['h265', h265Unit]] as const) {
    it(`${codec}: keeps a fragmented key picture whole and drops the other slices`, () => {
      // the key picture (5,000 bytes) is cut into fragmentation units; P pictures of 3,000 bytes are dropped as they come
      const frames = [unit(false, 3000, 1), unit(true, 5000, 2), unit(false, 3000, 3), unit(true, 200, 4)];
      const units = run(codec, frames);
      expect(units.map((u) => [u.timestamp, u.key, u.damaged])).toEqual([
        [0, false, false],
        [3600, true, false],
        [7200, false, false],
        [10800, true, false],
      ]);
      expect(units[0]!.nals).toEqual([]);
      expect(units[1]!.nals).toEqual(frames[1]);
      expect(units[3]!.nals).toEqual(frames[3]);
      const types = units[1]!.nals.map((n) => (codec === 'h264' ? n[0]! & 0x1f : (n[0]! >> 1) & 0x3f));
      expect(types.filter((t) => isKeySlice(codec, t))).toHaveLength(1);
    });

    it(`${codec}: a lost packet damages its picture, the next key picture is whole again`, () => {
      const frames = [unit(true, 5000, 2), unit(true, 5000, 5)];
      // packet 3 is the second fragment of the first key slice (after the parameter sets)
      const units = run(codec, frames, (i) => i === (codec === 'h264' ? 3 : 4));
      expect(units.map((u) => [u.key, u.damaged])).toEqual([
        [true, true],
        [true, false],
      ]);
      expect(units[1]!.nals).toEqual(frames[1]);
    });
  }

  it('STAP-A: parameter sets and a slice aggregated in one packet', () => {
    const [sps, pps, idr] = h264Unit(true, 50, 9);
    const payload = Buffer.concat([Buffer.from([0x78]), ...[sps!, pps!, idr!].flatMap((n) => [Buffer.from([n.length >> 8, n.length & 0xff]), n])]);
    const rtp = Buffer.concat([Buffer.from([0x80, 0x80 | 96, 0, 1, 0, 0, 0, 9, 0, 0, 0, 1]), payload]);
    const d = new RtpDepacketiser('h264', { maxUnitBytes: 1 << 20 });
    const [u] = d.push(rtp);
    expect(u).toMatchObject({ key: true, damaged: false, timestamp: 9 });
    expect(u!.nals).toEqual([sps, pps, idr]);
    expect(orderedParameterSets('h264', d.parameterSets)).toEqual([sps, pps]);
  });

  it('a key picture over the size bound is damaged and not kept; garbage is dropped, not thrown', () => {
    const d = new RtpDepacketiser('h264', { maxUnitBytes: 10_000 });
    let seq = 0;
    const units = packetise('h264', h264Unit(true, 50_000, 1), () => seq++, 0, 1).flatMap((p) => d.push(p));
    expect(units).toHaveLength(1);
    expect(units[0]).toMatchObject({ key: true, damaged: true });
    expect(units[0]!.nals.reduce((a, n) => a + n.length, 0)).toBeLessThanOrEqual(10_000);
    for (const junk of [Buffer.alloc(0), Buffer.alloc(5), Buffer.from('not rtp at all, just text'), Buffer.from([0x80, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7c])]) expect(() => d.push(junk)).not.toThrow();
  });

  it('SDP parameter sets, and Annex B with the sets each picture needs', () => {
    expect(spropParameterSets('h264', 'packetization-mode=1;profile-level-id=42e01e;sprop-parameter-sets=Z0IAHg==,aM48gA==')).toEqual([Buffer.from([0x67, 0x42, 0, 0x1e]), Buffer.from([0x68, 0xce, 0x3c, 0x80])]);
    expect(spropParameterSets('h265', 'sprop-vps=QAGq;sprop-sps=QgG7;sprop-pps=RAHM').map((b) => b.toString('hex'))).toEqual(['4001aa', '4201bb', '4401cc']);
    const sps = Buffer.from([0x67, 1]);
    const pps = Buffer.from([0x68, 2]);
    const idr = Buffer.from([0x65, 3]);
    const sc = [0, 0, 0, 1];
    expect([...annexB('h264', [{ nals: [idr], parameterSets: [sps, pps] }])]).toEqual([...sc, 0x67, 1, ...sc, 0x68, 2, ...sc, 0x65, 3]);
    // in-band sets are not written twice
    expect([...annexB('h264', [{ nals: [sps, pps, idr], parameterSets: [sps, pps] }])]).toEqual([...sc, 0x67, 1, ...sc, 0x68, 2, ...sc, 0x65, 3]);
  });
});
