import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  parseDeviceInformation,
  parseMediaUri,
  parseMediaXaddr,
  parseProfiles,
  parseSystemDateAndTime,
} from '../../agent/adapters/onvif/onvif-device.js';
import { parseSoapBody } from '../../agent/adapters/onvif/soap-client.js';

const real = (f: string) => readFileSync(fileURLToPath(new URL(`../fixtures/onvif-real/${f}`, import.meta.url)), 'utf8');
const body = (f: string) => parseSoapBody(real(f));

describe('onvif parsing: recorded Bosch FLEXIDOME 5100i', () => {
  it('onvif parsing: device information', async () => {
    expect(parseDeviceInformation(await body('bosch-flexidome-5100i/001-GetDeviceInformation.response.xml'))).toEqual({
      manufacturer: 'Bosch',
      model: 'FLEXIDOME indoor 5100i IR',
      firmware: '8.71.0066',
      serial: '404754734001050102',
      hardwareId: 'F000B543',
    });
  });

  it('onvif parsing: four profiles with encoder settings', async () => {
    const profiles = parseProfiles(await body('bosch-flexidome-5100i/005-GetProfiles.response.xml'));
    expect(profiles).toHaveLength(4);
    expect(profiles[0]).toMatchObject({ token: '0', name: 'Profile_L1S1', encoding: 'H264', width: 1920, height: 1080, fps: 30, bitrateKbps: 5200 });
  });

  it('onvif parsing: stream URI with query string', async () => {
    const uri = parseMediaUri(await body('bosch-flexidome-5100i/006-GetStreamUri.response.xml'), 'GetStreamUri');
    expect(uri).toMatch(/^rtsp:\/\/[^/]+\/rtsp_tunnel\?p=0&line=1&inst=1/);
  });

  it('onvif parsing: system time', async () => {
    const t = parseSystemDateAndTime(await body('bosch-flexidome-5100i/002-GetSystemDateAndTime.response.xml'));
    expect(t).not.toBeNull();
    expect(new Date(t!).getUTCFullYear()).toBeGreaterThan(2000);
  });
});

describe('onvif parsing: recorded 360Vision / Hikvision (gSOAP)', () => {
  it('onvif parsing: UTC time of 2014-12-24 19:14:37', async () => {
    expect(parseSystemDateAndTime(await body('360vision-predator-hikvision/GetSystemDateAndTime.xml'))).toBe(Date.UTC(2014, 11, 24, 19, 14, 37));
  });

  it('onvif parsing: media service address from capabilities', async () => {
    expect(parseMediaXaddr(await body('360vision-predator-hikvision/GetCapabilities.xml'))).toBe('http://192.168.68.111/onvif/services');
  });

  it('onvif parsing: profiles and stream URI', async () => {
    const profiles = parseProfiles(await body('360vision-predator-hikvision/GetProfiles.xml'));
    expect(profiles.length).toBeGreaterThan(0);
    expect(profiles.every((p) => p.token.length > 0)).toBe(true);
    expect(parseMediaUri(await body('360vision-predator-hikvision/GetStreamUri.xml'), 'GetStreamUri')).toMatch(/^rtsp:\/\//);
  });

  it('onvif parsing: a SOAP fault document is not mistaken for data', async () => {
    const b = await body('360vision-predator-hikvision/Error.xml');
    expect(() => parseDeviceInformation(b)).toThrow(/unexpected reply/);
  });
});

describe('onvif parsing: hostile XML', () => {
  it('onvif parsing: truncated XML is a clear error', async () => {
    await expect(parseSoapBody(real('bosch-flexidome-5100i/005-GetProfiles.response.xml').slice(0, 500))).rejects.toMatchObject({ code: 'ONVIF_BAD_XML' });
  });

  it('onvif parsing: entity expansion is refused', async () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>&c;</s:Body></s:Envelope>`;
    await expect(parseSoapBody(bomb)).rejects.toMatchObject({ code: 'ONVIF_BAD_XML' });
  });

  it('onvif parsing: a profile without RateControl parses (node-onvif init() crashes on it)', async () => {
    const xml = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body><trt:GetProfilesResponse><trt:Profiles token="main"><tt:Name>main</tt:Name><tt:VideoEncoderConfiguration><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>1280</tt:Width><tt:Height>720</tt:Height></tt:Resolution></tt:VideoEncoderConfiguration></trt:Profiles></trt:GetProfilesResponse></s:Body></s:Envelope>`;
    expect(parseProfiles(await parseSoapBody(xml))).toEqual([{ token: 'main', name: 'main', encoding: 'H264', width: 1280, height: 720, fps: null, bitrateKbps: null, sourceToken: null }]);
  });
});
