import { describe, expect, it } from 'vitest';
import { parseRecordingSearchResults, parseSearchXaddr } from '../../agent/adapters/onvif/onvif-device.js';
import { parseSoapBody } from '../../agent/adapters/onvif/soap-client.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Profile G replies as devices shape them: other namespace prefixes, several
// tracks (audio, metadata) beside video, a recording still running (no end
// in the track: its LatestRecording is now), no SearchState at all.
const envelope = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tse="http://www.onvif.org/ver10/search/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><env:Body>${body}</env:Body></env:Envelope>`;

describe('onvif recording search parsing', () => {
  it('onvif recording: video tracks give the spans; audio and metadata tracks do not count twice', async () => {
    const body = await parseSoapBody(
      envelope(
        '<tse:GetRecordingSearchResultsResponse><tse:ResultList><tt:SearchState>Completed</tt:SearchState>' +
          '<tt:RecordingInformation><tt:RecordingToken>REC0</tt:RecordingToken><tt:EarliestRecording>2026-11-30T00:00:00Z</tt:EarliestRecording><tt:LatestRecording>2026-11-30T12:00:00Z</tt:LatestRecording>' +
          '<tt:Track><tt:TrackToken>V</tt:TrackToken><tt:TrackType>Video</tt:TrackType><tt:DataFrom>2026-11-30T00:00:00Z</tt:DataFrom><tt:DataTo>2026-11-30T10:00:00Z</tt:DataTo></tt:Track>' +
          '<tt:Track><tt:TrackToken>A</tt:TrackToken><tt:TrackType>Audio</tt:TrackType><tt:DataFrom>2026-11-30T00:00:00Z</tt:DataFrom><tt:DataTo>2026-11-30T12:00:00Z</tt:DataTo></tt:Track>' +
          '<tt:RecordingStatus>Recording</tt:RecordingStatus></tt:RecordingInformation>' +
          // one with no tracks listed: its earliest to latest recording
          '<tt:RecordingInformation><tt:RecordingToken>REC1</tt:RecordingToken><tt:EarliestRecording>2026-11-30T14:00:00.500+08:00</tt:EarliestRecording><tt:LatestRecording>2026-11-30T15:00:00.500+08:00</tt:LatestRecording></tt:RecordingInformation>' +
          '</tse:ResultList></tse:GetRecordingSearchResultsResponse>',
      ),
    );
    const r = parseRecordingSearchResults(body);
    expect(r.completed).toBe(true);
    expect(r.spans).toEqual([
      { from: Date.parse('2026-11-30T00:00:00Z'), to: Date.parse('2026-11-30T10:00:00Z') },
      { from: Date.parse('2026-11-30T06:00:00.500Z'), to: Date.parse('2026-11-30T07:00:00.500Z') },
    ]);
  });

  it('onvif recording: a search still running says so; unreadable times are left out, not guessed', async () => {
    const body = await parseSoapBody(
      envelope('<tse:GetRecordingSearchResultsResponse><tse:ResultList><tt:SearchState>Searching</tt:SearchState><tt:RecordingInformation><tt:Track><tt:TrackType>Video</tt:TrackType><tt:DataFrom>yesterday</tt:DataFrom><tt:DataTo>2026-11-30T10:00:00Z</tt:DataTo></tt:Track></tt:RecordingInformation></tse:ResultList></tse:GetRecordingSearchResultsResponse>'),
    );
    expect(parseRecordingSearchResults(body)).toEqual({ spans: [], completed: false });
  });

  it('onvif recording: the search service from GetServices of a real device (none there) and of a Profile G device', async () => {
    const real = readFileSync(fileURLToPath(new URL('../fixtures/onvif-real/360vision-predator-hikvision/GetServices.xml', import.meta.url)), 'utf8');
    expect(parseSearchXaddr(await parseSoapBody(real))).toBeNull();
    const g = await parseSoapBody(envelope('<tds:GetServicesResponse><tds:Service><tds:Namespace>http://www.onvif.org/ver10/search/wsdl</tds:Namespace><tds:XAddr>http://10.0.0.8/onvif/search_service</tds:XAddr></tds:Service></tds:GetServicesResponse>'));
    expect(parseSearchXaddr(g)).toBe('http://10.0.0.8/onvif/search_service');
  });
});
