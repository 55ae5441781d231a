import { spawnSync } from 'node:child_process';
import { SYSTEM_PYTHON } from './rtsp-server.js';

/** System programs the demo and the tests need, with the Debian packages that bring them. */
export function missingSystemPackages(): string[] {
  const missing: string[] = [];
  const has = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { stdio: 'ignore' });
    return r.error === undefined && r.status === 0;
  };
  if (!has('ffprobe', ['-version'])) missing.push('ffmpeg');
  if (!has(SYSTEM_PYTHON, ['-c', "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"])) {
    missing.push('python3-gi', 'gir1.2-gst-rtsp-server-1.0', 'gstreamer1.0-plugins-base', 'gstreamer1.0-plugins-good', 'gstreamer1.0-plugins-bad');
  }
  if (!has('gst-inspect-1.0', ['--exists', 'x264enc']) && !has(SYSTEM_PYTHON, ['-c', "import gi; gi.require_version('Gst','1.0'); from gi.repository import Gst; Gst.init(None); assert Gst.ElementFactory.find('x264enc')"])) {
    missing.push('gstreamer1.0-plugins-ugly');
  }
  return [...new Set(missing)];
}
