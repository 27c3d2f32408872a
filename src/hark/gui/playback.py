"""Playback of any length, in chunks, with a playhead on the plots.

A browser cannot be handed an hour of 250 kHz audio at once, so the server sends the stretch
to play a few seconds at a time (:data:`CHUNK_SECONDS` of sound as heard, a 16-bit WAV each,
:func:`hark.gui.signal.playback_wav`) through a small model, :class:`PlaybackState`. The
page decodes each chunk with the Web Audio API and schedules it right after the previous one
(so they join without a gap), then asks for the next while this one plays: at most two chunks
are held at once, however long the stretch. The playhead is a vertical line on the waveform,
the spectrogram, the lanes and the traces, moved by the page from the audio clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bokeh.core.properties import Bool, Float, Int, String
from bokeh.model import DataModel
from bokeh.models import CustomJS, Span

from hark.errors import HarkError
from hark.gui.signal import playback_wav, wav_data_url

if TYPE_CHECKING:
    from hark.gui.recording_view import RecordingView

CHUNK_SECONDS = 4.0  # of sound as heard (at 1/8 speed: half a second of the recording)


class PlaybackState(DataModel):
    """What is playing: ``token`` changes with each new play (or stop); ``chunk`` is the data URL of chunk ``index``."""

    token = Int(default=0)
    playing = Bool(default=False)
    start_s = Float(default=0)  # the stretch being played, in the recording's seconds
    stop_s = Float(default=0)
    speed = Float(default=1)
    peak = Float(default=0)  # the loudest sample seen in view: every chunk is scaled by it
    index = Int(default=-1)  # the chunk in ``chunk``
    chunk = String(default="")
    chunk_start_s = Float(default=0)
    last = Bool(default=False)  # ``chunk`` is the last of the stretch
    wanted = Int(default=-1)  # set by the page: the chunk it wants next


PLAYER_JS = """
const S = state, heads = spans;
const P = window.__hark_player || (window.__hark_player = {token: -1, sources: [], plan: [], frame: null, ctx: null});
function stopAll() {
  for (const s of P.sources) { try { s.stop(); } catch (e) {} }
  P.sources = []; P.plan = [];
  if (P.frame !== null) { cancelAnimationFrame(P.frame); P.frame = null; }
  for (const h of heads) { h.visible = false; }
}
function tick() {
  const now = P.ctx.currentTime;
  const piece = P.plan.find((p) => now >= p.at && now < p.at + p.length);
  if (piece) {
    const where = piece.start_s + (now - piece.at) * S.speed;
    if (!P.last_shown || Math.abs(P.last_shown - now) > 0.04) {  // about 25 updates a second
      for (const h of heads) { h.location = where; h.visible = true; }
      P.last_shown = now;
    }
  }
  const end = P.plan.length ? P.plan[P.plan.length - 1] : null;
  if (end && end.last && now >= end.at + end.length) { stopAll(); S.playing = false; return; }
  P.frame = requestAnimationFrame(tick);
}
if (!S.playing || S.token !== P.token) { stopAll(); P.token = S.token; P.next_at = null; }
if (!S.playing || S.index < 0 || !S.chunk || P.done_index === S.token + ':' + S.index) { return; }
P.done_index = S.token + ':' + S.index;
if (!P.ctx) { P.ctx = new AudioContext(); }
if (P.ctx.state === 'suspended') { P.ctx.resume(); }
const token = S.token, index = S.index, start_s = S.chunk_start_s, last = S.last;
const bytes = Uint8Array.from(atob(S.chunk.split(',')[1]), (c) => c.charCodeAt(0));
P.ctx.decodeAudioData(bytes.buffer).then((buffer) => {
  if (token !== P.token || !S.playing) { return; }
  const at = Math.max(P.next_at === null ? 0 : P.next_at, P.ctx.currentTime + 0.05);
  const source = P.ctx.createBufferSource();
  source.buffer = buffer; source.connect(P.ctx.destination); source.start(at);
  P.sources.push(source);
  P.plan.push({at: at, length: buffer.duration, start_s: start_s, last: last});
  P.next_at = at + buffer.duration;
  if (!last) { S.wanted = index + 1; }
  if (P.frame === null) { P.frame = requestAnimationFrame(tick); }
});
"""


class Player:
    """The play and stop of one page: sends chunk after chunk while the page asks for them."""

    def __init__(self, view: RecordingView):
        self.view = view
        self.state = PlaybackState(name="playback")
        self.playheads = [Span(location=0, dimension="height", line_color="#d50000", line_width=2, visible=False, name=f"playhead-{name}")
                          for name in ("waveform", "spectrogram", "lanes", "traces")]  # fmt: skip
        self.state.on_change("wanted", lambda attr, old, new: self._send(new))
        self.state.js_on_change("index", CustomJS(args={"state": self.state, "spans": self.playheads}, code=PLAYER_JS))
        self.state.js_on_change("token", CustomJS(args={"state": self.state, "spans": self.playheads}, code=PLAYER_JS))

    def add_playheads(self, *plots) -> None:
        for plot, head in zip(plots, self.playheads):
            plot.add_layout(head)

    def play(self, start_s: float, stop_s: float, speed: float, peak: float) -> float:
        """Play ``[start_s, stop_s)`` of the open recording at ``speed``; returns the seconds of sound it makes."""
        self.state.update(token=self.state.token + 1, playing=True, start_s=start_s, stop_s=stop_s, speed=speed, peak=peak, index=-1,
                          chunk="", wanted=-1)  # fmt: skip
        self._send(0)
        return (stop_s - start_s) / speed

    def stop(self) -> None:
        """Stop (and forget) what plays: a new recording opened, or the stop button."""
        if self.state.playing or self.state.chunk:
            self.state.update(token=self.state.token + 1, playing=False, index=-1, chunk="", wanted=-1)

    def _send(self, index: int) -> None:
        loaded, state = self.view.loaded, self.state
        if loaded is None or not state.playing or index != state.index + 1:
            return
        rate = loaded.samplerate
        seconds = CHUNK_SECONDS * state.speed  # of the recording
        start_s = state.start_s + index * seconds
        stop_s = min(state.stop_s, start_s + seconds)
        if stop_s <= start_s:
            return
        try:
            data, _ = playback_wav(loaded.recording, round(start_s * rate), round(stop_s * rate), state.speed, seconds + 1, state.peak)
        except HarkError as err:
            self.view.session.report(f"cannot play: {err}", error=True)
            self.stop()
            return
        state.update(chunk=wav_data_url(data), chunk_start_s=start_s, last=stop_s >= state.stop_s - 1e-9, index=index)
