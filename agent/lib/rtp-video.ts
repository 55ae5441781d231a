/**
 * RTP video payloads back into access units, for H.264 (RFC 6184: single NAL
 * units, STAP-A, FU-A) and H.265 (RFC 7798: single NAL units, AP, FU), pure.
 * Only what a keyframe check needs is kept: parameter sets and the slices of
 * key pictures (H.264 IDR, H.265 IRAP). Every other slice is counted and
 * dropped as it arrives, so following a camera while it reaches its next
 * keyframe costs a few hundred kilobytes, not a decoder.
 */

export type VideoCodec = 'h264' | 'h265';

/** A finished access unit: its RTP timestamp (90 kHz), whether it is a key picture, and, when it is, its NAL units. */
export interface AccessUnit {
  timestamp: number;
  key: boolean;
  /** the key picture's NAL units (without start codes); empty for other pictures */
  nals: Buffer[];
  /** a packet of it was lost (sequence gap) or a fragment came without its start: not to be decoded */
  damaged: boolean;
}

const nalType = (codec: VideoCodec, b0: number) => (codec === 'h264' ? b0 & 0x1f : (b0 >> 1) & 0x3f);

/** NAL unit types that carry parameter sets: H.264 SPS 7, PPS 8; H.265 VPS 32, SPS 33, PPS 34. */
export function isParameterSet(codec: VideoCodec, type: number): boolean {
  return codec === 'h264' ? type === 7 || type === 8 : type >= 32 && type <= 34;
}

/** Slices of a picture decodable on its own: H.264 IDR (5), H.265 IRAP (16–23). */
export function isKeySlice(codec: VideoCodec, type: number): boolean {
  return codec === 'h264' ? type === 5 : type >= 16 && type <= 23;
}

/**
 * Parameter sets out of an SDP fmtp line: H.264 `sprop-parameter-sets`
 * (SPS,PPS), H.265 `sprop-vps`, `sprop-sps`, `sprop-pps`. Pure.
 */
export function spropParameterSets(codec: VideoCodec, fmtp: string): Buffer[] {
  const params = new Map<string, string>();
  for (const part of fmtp.split(';')) {
    const i = part.indexOf('=');
    if (i > 0) params.set(part.slice(0, i).trim().toLowerCase(), part.slice(i + 1).trim());
  }
  const names = codec === 'h264' ? ['sprop-parameter-sets'] : ['sprop-vps', 'sprop-sps', 'sprop-pps'];
  return names
    .flatMap((n) => (params.get(n) ?? '').split(','))
    .filter((s) => s.length > 0)
    .map((s) => Buffer.from(s, 'base64'))
    .filter((b) => b.length > 0);
}

/**
 * Builds access units from the RTP packets of one video stream. A unit ends
 * at the marker bit or when the timestamp changes. Bounded: a key picture
 * larger than `maxUnitBytes` is marked damaged and its data dropped.
 */
export class RtpDepacketiser {
  private ts: number | undefined;
  private key = false;
  private damaged = false;
  private nals: Buffer[] = [];
  private bytes = 0;
  private lastSeq: number | undefined;
  /** a fragmented NAL unit being reassembled (key slices and parameter sets only) */
  private fragments: Buffer[] | undefined;
  private fragmentBytes = 0;
  /** inside a fragmented NAL unit that is not kept */
  private skipping = false;
  /** the latest parameter sets, by NAL type (in-band ones replace those of the SDP) */
  readonly parameterSets = new Map<number, Buffer>();

  constructor(
    readonly codec: VideoCodec,
    private readonly opts: { maxUnitBytes: number; sprop?: Buffer[] },
  ) {
    for (const p of opts.sprop ?? []) this.parameterSets.set(nalType(codec, p[0] ?? 0), p);
  }

  /** One RTP packet; returns the access units it finished (none, one, or two). Garbage is dropped, never thrown. */
  push(packet: Buffer): AccessUnit[] {
    const units: AccessUnit[] = [];
    if (packet.length < 12 || packet[0]! >> 6 !== 2) return units;
    const cc = packet[0]! & 0x0f;
    let off = 12 + cc * 4;
    if (packet[0]! & 0x10) {
      if (packet.length < off + 4) return units;
      off += 4 + packet.readUInt16BE(off + 2) * 4;
    }
    let end = packet.length;
    if (packet[0]! & 0x20) end -= packet[end - 1]!;
    if (end <= off) return units;
    const marker = (packet[1]! & 0x80) !== 0;
    const seq = packet.readUInt16BE(2);
    const ts = packet.readUInt32BE(4);
    if (this.ts !== undefined && ts !== this.ts) units.push(this.finish());
    if (this.ts === undefined) this.ts = ts;
    if (this.lastSeq !== undefined && seq !== ((this.lastSeq + 1) & 0xffff)) {
      this.damaged = true;
      this.fragments = undefined;
      this.skipping = false;
    }
    this.lastSeq = seq;
    this.payload(packet.subarray(off, end));
    if (marker) units.push(this.finish());
    return units;
  }

  private finish(): AccessUnit {
    const unit: AccessUnit = { timestamp: this.ts ?? 0, key: this.key, nals: this.key ? this.nals : [], damaged: this.damaged || this.fragments !== undefined };
    this.ts = undefined;
    this.key = false;
    this.damaged = false;
    this.nals = [];
    this.bytes = 0;
    this.fragments = undefined;
    this.skipping = false;
    return unit;
  }

  private nal(n: Buffer): void {
    if (n.length === 0) return;
    const type = nalType(this.codec, n[0]!);
    const param = isParameterSet(this.codec, type);
    if (isKeySlice(this.codec, type)) this.key = true;
    else if (!param) return;
    if (param) this.parameterSets.set(type, Buffer.from(n));
    this.bytes += n.length;
    if (this.bytes > this.opts.maxUnitBytes) {
      this.damaged = true;
      this.nals = [];
      return;
    }
    if (!this.damaged) this.nals.push(Buffer.from(n));
  }

  private payload(p: Buffer): void {
    const h264 = this.codec === 'h264';
    const type = nalType(this.codec, p[0]!);
    const aggregate = h264 ? 24 : 48;
    const fragment = h264 ? 28 : 49;
    if (type === aggregate) {
      // STAP-A / AP: a 16-bit size before each NAL unit (no DONL: sprop-max-don-diff 0, as cameras send)
      for (let o = h264 ? 1 : 2; o + 2 <= p.length; ) {
        const size = p.readUInt16BE(o);
        if (size === 0 || o + 2 + size > p.length) {
          this.damaged = true;
          return;
        }
        this.nal(p.subarray(o + 2, o + 2 + size));
        o += 2 + size;
      }
      return;
    }
    if (type === fragment) {
      const headerLen = h264 ? 1 : 2;
      if (p.length < headerLen + 2) return;
      const fu = p[headerLen]!;
      const start = (fu & 0x80) !== 0;
      const end = (fu & 0x40) !== 0;
      const inner = h264 ? fu & 0x1f : fu & 0x3f;
      const data = p.subarray(headerLen + 1);
      if (start) {
        this.fragments = undefined;
        this.skipping = !isKeySlice(this.codec, inner) && !isParameterSet(this.codec, inner);
        if (isKeySlice(this.codec, inner)) this.key = true;
        if (!this.skipping) {
          const head = h264 ? Buffer.from([(p[0]! & 0xe0) | inner]) : Buffer.from([(p[0]! & 0x81) | (inner << 1), p[1]!]);
          this.fragments = [head, Buffer.from(data)];
          this.fragmentBytes = data.length;
        }
      } else if (this.skipping) {
        // the rest of a slice we do not keep
      } else if (this.fragments) {
        this.fragments.push(Buffer.from(data));
        this.fragmentBytes += data.length;
        if (this.bytes + this.fragmentBytes > this.opts.maxUnitBytes) {
          this.fragments = undefined;
          this.damaged = true;
          this.nals = [];
          return;
        }
      } else {
        // a middle or end without its start: the unit lost its beginning
        this.damaged = true;
        return;
      }
      if (end) {
        if (this.fragments) {
          const whole = Buffer.concat(this.fragments);
          this.fragments = undefined;
          this.nal(whole);
        }
        this.skipping = false;
      }
      return;
    }
    // H.264 STAP-B, MTAP, FU-B (25–27, 29) and H.265 PACI (50) are not sent by cameras in non-interleaved mode
    if ((h264 && type >= 25 && type <= 29) || (!h264 && type >= 48)) return;
    this.nal(p);
  }
}

const START = Buffer.from([0, 0, 0, 1]);

/**
 * Key pictures as an Annex B byte stream an ffmpeg raw demuxer reads
 * (`-f h264` / `-f hevc`): each unit preceded by the parameter sets it needs
 * (its own in-band ones, else the latest known). Pure.
 */
export function annexB(codec: VideoCodec, units: Array<{ nals: Buffer[]; parameterSets: Buffer[] }>): Buffer {
  const parts: Buffer[] = [];
  for (const u of units) {
    const inBand = new Set(u.nals.map((n) => nalType(codec, n[0] ?? 0)).filter((t) => isParameterSet(codec, t)));
    for (const p of u.parameterSets) if (!inBand.has(nalType(codec, p[0] ?? 0))) parts.push(START, p);
    for (const n of u.nals) parts.push(START, n);
  }
  return Buffer.concat(parts);
}

/** The parameter sets in decoding order (VPS, SPS, PPS). */
export function orderedParameterSets(codec: VideoCodec, sets: Map<number, Buffer>): Buffer[] {
  return [...sets.entries()].filter(([t]) => isParameterSet(codec, t)).sort(([a], [b]) => a - b).map(([, b]) => b);
}
