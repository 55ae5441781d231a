/** What an ffmpeg/ffprobe failure message says went wrong, in the ladder's terms. */
export function classifyFfmpegError(message: string): 'auth_failed' | 'unreachable' | 'no_video' {
  if (/401|unauthori[sz]ed|authorization failed/i.test(message)) return 'auth_failed';
  if (/connection refused|no route to host|network is unreachable/i.test(message)) return 'unreachable';
  return 'no_video';
}
