/** Counts the turns of the event loop: an immediate that sets itself again runs once a turn. */
export function turnCounter(): { now: () => number; stop: () => void } {
  let turn = 0;
  let on = true;
  const tick = () => {
    turn += 1;
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  return { now: () => turn, stop: () => (on = false) };
}
