import { describe, expect, it } from 'vitest';
import { branchOf, cseqOf, headerParams, parseSipMessage, responseTo, serializeSip, SipParseError, tagOf, uriUser, type SipRequest } from '../../aggregator/adapters/sip/message.js';
import { authorization, digestResponse, parseChallenge, verifyAuthorization } from '../../aggregator/adapters/sip/digest.js';
import { decodeBody, readCommand, readXml, writeManscdp, ManscdpError } from '../../aggregator/adapters/sip/manscdp.js';

// a REGISTER as a GB/T 28181 device sends it (compact and long header names mixed, a folded line)
const REGISTER = [
  'REGISTER sip:34020000002000000001@3402000000 SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bK1234',
  'f: <sip:33010600002000000001@3402000000>;tag=abc',
  'To: <sip:33010600002000000001@3402000000>',
  'i: 55aa',
  'CSeq: 2 REGISTER',
  'Contact: <sip:33010600002000000001@192.0.2.10:5060>',
  'Expires: 3600',
  'User-Agent: some',
  ' device',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

describe('sip: messages', () => {
  it('sip: a request with compact and folded headers is read', () => {
    const m = parseSipMessage(Buffer.from(REGISTER)) as SipRequest;
    expect(m.kind).toBe('request');
    expect(m.method).toBe('REGISTER');
    expect(m.headers.get('From')).toContain('tag=abc');
    expect(m.headers.get('call-id')).toBe('55aa');
    expect(m.headers.get('user-agent')).toBe('some device');
    expect(cseqOf(m)).toEqual({ seq: 2, method: 'REGISTER' });
    expect(branchOf(m)).toBe('z9hG4bK1234');
    expect(uriUser(m.headers.get('from')!)).toBe('33010600002000000001');
    expect(tagOf(m.headers.get('from'))).toBe('abc');
    expect(headerParams('<sip:a@b;transport=udp>;tag=x;expires=60').get('expires')).toBe('60');
  });

  it('sip: a response copies Via, From, To (with our tag), Call-ID and CSeq, and round-trips', () => {
    const req = parseSipMessage(Buffer.from(REGISTER)) as SipRequest;
    const res = responseTo(req, 401, 'Unauthorized', { toTag: 't1', headers: [['WWW-Authenticate', 'Digest realm="x", nonce="n"']] });
    const again = parseSipMessage(serializeSip(res));
    expect(again.kind === 'response' && again.status).toBe(401);
    expect(tagOf(again.headers.get('to'))).toBe('t1');
    expect(again.headers.get('cseq')).toBe('2 REGISTER');
    expect(again.headers.get('content-length')).toBe('0');
  });

  it('sip: the body is cut at Content-Length; a shorter body than announced, a missing header or a bad start line is an error, never a throw of another kind', () => {
    const withBody = REGISTER.replace('Content-Length: 0', 'Content-Length: 5') + 'helloEXTRA';
    expect(parseSipMessage(Buffer.from(withBody)).body.toString()).toBe('hello');
    const bad = [REGISTER.replace('Content-Length: 0', 'Content-Length: 50') + 'x', REGISTER.replace('i: 55aa\r\n', ''), 'HELLO\r\n\r\n', REGISTER.replace('CSeq: 2 REGISTER', 'CSeq: two'), `${REGISTER.slice(0, 60)}\r\n${'X'.repeat(5000)}: y\r\n\r\n`, Buffer.alloc(70_000, 65).toString()];
    for (const b of bad) expect(() => parseSipMessage(Buffer.from(b))).toThrow(SipParseError);
  });
});

describe('sip: digest', () => {
  it('sip: the RFC 2617 example response is computed', () => {
    expect(digestResponse({ username: 'Mufasa', realm: 'testrealm@host.com', password: 'Circle Of Life', method: 'GET', uri: '/dir/index.html', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: 'auth', nc: '00000001', cnonce: '0a4f113b' })).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('sip: a WVP challenge is answered and verifies; a wrong password does not', () => {
    const c = parseChallenge('Digest realm="3402000000", nonce="8a1b", qop="auth", algorithm=MD5')!;
    expect(c).toMatchObject({ realm: '3402000000', qop: 'auth' });
    const value = authorization(c, { username: '33010600002000000001', password: 's3cret', method: 'REGISTER', uri: 'sip:34020000002000000001@3402000000', nc: 1 });
    expect(verifyAuthorization(value, { realm: '3402000000', nonce: '8a1b', method: 'REGISTER', password: 's3cret' }).ok).toBe(true);
    expect(verifyAuthorization(value, { realm: '3402000000', nonce: '8a1b', method: 'REGISTER', password: 'other' }).ok).toBe(false);
    expect(parseChallenge('Basic realm="x"')).toBeUndefined();
    expect(parseChallenge('Digest realm="x", nonce="y", algorithm=SHA-256')).toBeUndefined();
  });
});

describe('sip: MANSCDP', () => {
  it('sip: a GB2312 body with Chinese names round-trips and its command is checked', () => {
    const body = writeManscdp('Response', [['CmdType', 'Catalog'], ['SN', 17], ['DeviceID', '33010600002000000001'], ['DeviceList', { attrs: { Num: 1 }, children: [['Item', [['Name', '西湖区文三路 <东>']]]] }]], 'GB2312');
    // GB2312: two bytes a Chinese character, not UTF-8's three
    expect(body.includes(Buffer.from('西湖', 'utf8'))).toBe(false);
    const cmd = readCommand(body, 'GB2312');
    expect(cmd).toMatchObject({ kind: 'Response', cmdType: 'Catalog', sn: 17, deviceId: '33010600002000000001' });
    expect(cmd.root.children.find((c) => c.name === 'DeviceList')!.children[0]!.children[0]!.text).toBe('西湖区文三路 <东>');
    expect(decodeBody(writeManscdp('Notify', [['Name', '雪亮']], 'UTF-8'), 'GB2312')).toContain('雪亮');
  });

  it('sip: entity declarations, deep nesting, unclosed elements, a missing SN are refused as MANSCDP errors', () => {
    const bad = [
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Query><CmdType>Catalog</CmdType></Query>',
      `<Query>${'<a>'.repeat(20)}${'</a>'.repeat(20)}</Query>`,
      '<Query><CmdType>Catalog</CmdType>',
      '<Query><CmdType>Catalog</CmdType><DeviceID>1</DeviceID></Query>',
      '<Query><CmdType>Catalog</CmdType><SN>x</SN><DeviceID>1</DeviceID></Query>',
      '<Query><CmdType>Cat alog</CmdType><SN>1</SN><DeviceID>1</DeviceID></Query>',
      '<Query>&unknown;</Query>',
      'not xml at all <',
    ];
    for (const b of bad) expect(() => readCommand(Buffer.from(b), 'UTF-8'), b).toThrow(ManscdpError);
    expect(readXml('<A x="1"><B>t&amp;t</B><C/></A>')).toMatchObject({ name: 'A', attrs: { x: '1' }, children: [{ name: 'B', text: 't&t' }, { name: 'C' }] });
  });
});
