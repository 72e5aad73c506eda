#!/usr/bin/env bash
# Makes the default audio of the center's lines (resources/line-audio/*.wav, 8 kHz mono 16-bit, as
# rtpengine plays them): the waiting message of the 116117 (announcement, recording notice, the 15
# for a vital emergency) followed by soft music, looped by Kamailio while the caller waits; the
# closed-line message; the overflow message (the caller will be called back). A center replaces
# them with its own recordings (same format); run again to rebuild the defaults. Needs espeak-ng and
# sox (Debian packages).
set -euo pipefail
# No dither (SOX_OPTS=-D), so that the same text gives the same file (reviewable in git).
export SOX_OPTS=-D
OUT=${1:-$(cd "$(dirname "$0")/.." && pwd)/resources/line-audio}
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
say() { # file text
  espeak-ng -v fr -s 150 -w "$TMP/raw.wav" "$2"
  sox "$TMP/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$1" norm -3
}
music() { # file seconds: a slow arpeggio, quiet, that never sounds like a ringback or a busy tone
  local parts=() i=0
  for f in 392 494 587 494 440 523 659 523; do
    sox -n -r 8000 -c 1 -b 16 "$TMP/n$i.wav" synth 0.75 sine "$f" fade q 0.05 0.75 0.3 vol 0.25
    parts+=("$TMP/n$i.wav"); i=$((i + 1))
  done
  sox "${parts[@]}" "$TMP/bar.wav"
  local bars=$(( ($2 + 5) / 6 ))
  sox "$TMP/bar.wav" "$1" repeat $((bars - 1))
}
say "$TMP/welcome.wav" "Cent seize, cent dix-sept. Vous êtes en relation avec le service de médecin de garde. Votre appel va être enregistré. En cas de détresse vitale, raccrochez et composez le quinze. Merci de patienter, un assistant de régulation va vous répondre."
music "$TMP/music.wav" 18
sox "$TMP/welcome.wav" "$TMP/music.wav" "$OUT/116117-attente.wav"
say "$OUT/ligne-fermee.wav" "Vous êtes en relation avec le service de médecin de garde. Ce service est fermé en ce moment. En cas de détresse vitale, composez le quinze."
say "$OUT/rappel-plus-tard.wav" "Tous nos assistants de régulation sont occupés. Votre numéro a été noté : nous vous rappelons dès que possible. En cas de détresse vitale, raccrochez et composez le quinze."
say "$TMP/samu.wav" "Transfert du SAMU. Un assistant de régulation va vous répondre."
sox "$TMP/samu.wav" "$TMP/music.wav" "$OUT/transfert-samu-attente.wav"
for f in "$OUT"/*.wav; do printf '%s %ss\n' "$(basename "$f")" "$(soxi -D "$f")"; done
