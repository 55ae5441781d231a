#!/usr/bin/python3
"""A real RTSP server for tests and the demo: GStreamer's RTSP server with
live H.264 test patterns.

Usage: rtsp-server.py [--host 127.0.0.1] [--port 0] [--user U --password P]
                      [--mount /path=pattern ...]
Patterns: scene (still bars under sensor noise: a healthy camera), colors (a still chart: frozen), smpte (default; has a moving noise box), black, blue, ball, snow, or any videotestsrc
pattern name (H.264), h265 (smpte in H.265), mjpeg (smpte in Motion JPEG);
or file:/path/clip.mp4 (H.264 in MP4), played from the start
for each client. It binds only the given host. Once listening it prints one JSON
line {"port": N} on stdout. Commands on stdin, one per line:
  remove /path          stop serving the mount (new requests get 404)
  add /path=pattern     serve a mount
  quit
"""
import argparse
import json
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

PATTERNS = {"smpte": "smpte", "black": "black", "blue": "blue", "ball": "ball", "snow": "snow"}
CAPS = "video/x-raw,width=320,height=240,framerate=10/1"
ENCODE = (
    "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 bitrate=300 "
    "! rtph264pay name=pay0 pt=96 config-interval=1"
)
# a healthy-looking camera: a still scene (bars) under live sensor noise. To the
# picture check a plain "smpte" is a frozen picture and "ball" an almost black one.
SCENE = (
    f"videotestsrc is-live=true pattern=smpte ! {CAPS} ! compositor name=mix sink_1::alpha=0.12 ! video/x-raw,format=I420 ! {ENCODE} "
    f"videotestsrc is-live=true pattern=snow ! {CAPS} ! mix."
)


def launch_line(pattern: str) -> str:
    if pattern.startswith("file:"):
        # an H.264 MP4 made by the tests (ffmpeg lavfi): each client plays it from the start
        return (
            f"( filesrc location={pattern[5:]} ! qtdemux ! h264parse "
            "! rtph264pay name=pay0 pt=96 config-interval=1 )"
        )
    if pattern == "scene":
        return f"( {SCENE} )"
    if pattern == "h265":
        # H.265 packetised by GStreamer (aggregation packets, fragmentation units)
        return (
            f"( videotestsrc is-live=true pattern=smpte ! {CAPS} ! x265enc tune=zerolatency speed-preset=ultrafast "
            "key-int-max=10 bitrate=300 ! rtph265pay name=pay0 pt=96 config-interval=1 )"
        )
    if pattern == "mjpeg":
        # a codec the agent's own reader does not take: ffmpeg reads it
        return f"( videotestsrc is-live=true pattern=smpte ! {CAPS} ! videoconvert ! video/x-raw,format=I420 ! jpegenc ! rtpjpegpay name=pay0 pt=26 )"
    pat = PATTERNS.get(pattern, pattern)
    return f"( videotestsrc is-live=true pattern={pat} ! {CAPS} ! {ENCODE} )"


def in_named_netns(name: str | None) -> bool:
    """True when this process runs inside the named network namespace (`ip netns add NAME`, as the tests make): its addresses reach no real network."""
    if not name:
        return False
    try:
        return os.stat("/proc/self/ns/net").st_ino == os.stat(f"/run/netns/{name}").st_ino
    except OSError:
        return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", default="0")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--mount", action="append", default=[])
    ap.add_argument("--netns", help="the network namespace this runs in (ip netns exec NAME …): then it may bind other addresses than loopback")
    args = ap.parse_args()
    if not args.host.startswith("127.") and args.host != "::1" and not in_named_netns(args.netns):
        sys.exit("rtsp-server.py binds loopback only (any address inside a network namespace of its own, as the tests make)")

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(args.port)
    mounts = server.get_mount_points()

    auth = None
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        auth.add_digest(args.user, args.password or "", token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        server.set_auth(auth)

    def add(spec: str) -> None:
        path, _, pattern = spec.partition("=")
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch_line(pattern or "smpte"))
        factory.set_shared(not (pattern or "").startswith("file:"))
        if auth is not None:
            perms = GstRtspServer.RTSPPermissions()
            perms.add_permission_for_role("user", "media.factory.access", True)
            perms.add_permission_for_role("user", "media.factory.construct", True)
            factory.set_permissions(perms)
        mounts.add_factory(path, factory)

    for spec in args.mount or ["/stream=smpte"]:
        add(spec)

    loop = GLib.MainLoop()
    server.attach(None)
    print(json.dumps({"port": server.get_bound_port()}), flush=True)

    def on_stdin(source, _cond):
        line = source.readline()
        if not line:
            loop.quit()
            return False
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "remove":
            mounts.remove_factory(arg)
        elif cmd == "add":
            add(arg)
        elif cmd == "quit":
            loop.quit()
            return False
        print(json.dumps({"ok": cmd}), flush=True)
        return True

    GLib.io_add_watch(sys.stdin, GLib.IO_IN | GLib.IO_HUP, on_stdin)
    loop.run()


if __name__ == "__main__":
    main()
