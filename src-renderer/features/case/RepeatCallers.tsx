/**
 * Earlier calls about the same patient (last 72 h, same number or same name + birth date), shown
 * while the form fills, with their outcome; the ARM links the new case to them in one keystroke.
 * Also carries the priority suggestion (raised for a repeat within 24 h).
 */
import { useEffect, useState } from 'react';
import type { MethodOutput } from '../../../src-shared/contract/methods';
import { DECISIONS, type Priority } from '../../../src-shared/domain/codes';
import type { RegulationCase, ScreeningFields } from '../../../src-shared/schemas/case';
import { useApp } from '../../app/context';
import { reasonLabel, STATUS_LABELS, timeOfDay } from '../../ui/labels';
import { useNow } from '../../ui/use-now';

type Repeats = MethodOutput<'case.repeats'>;

const MATCH_LABELS = { phone: 'même numéro', patient: 'même patient' } as const;

function ago(ms: number, now: number): string {
  const minutes = Math.max(0, Math.round((now - ms) / 60_000));
  if (minutes < 60) return `il y a ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 24 ? `il y a ${hours} h` : `il y a ${Math.floor(hours / 24)} j ${hours % 24} h`;
}

export function useRepeats(current: RegulationCase | null, draft: ScreeningFields): Repeats | null {
  const bridge = useApp((s) => s.bridge);
  const [repeats, setRepeats] = useState<Repeats | null>(null);
  const phone = draft.callbackPhone ?? '';
  const { lastName = '', firstName = '', birthDate = '' } = draft.patient ?? {};
  const reasonCode = draft.reasonCode;
  const caseId = current?.id;
  const version = current?.version;
  useEffect(() => {
    if (!caseId) return;
    let stale = false;
    const t = setTimeout(() => {
      const digits = phone.replace(/\D/g, '');
      void bridge
        .invoke('case.repeats', {
          caseId,
          ...(digits.length >= 9 ? { callbackPhone: phone } : {}),
          ...(lastName.trim() ? { lastName } : {}),
          ...(firstName.trim() ? { firstName } : {}),
          ...(birthDate ? { birthDate } : {}),
          ...(reasonCode ? { reasonCode } : {}),
        })
        .then((r) => {
          if (!stale && r.ok) setRepeats(r.value);
        });
    }, 200);
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [bridge, caseId, version, phone, lastName, firstName, birthDate, reasonCode]);
  return repeats;
}

export function RepeatCallers({
  current,
  repeats,
  editable,
  onLink,
  onOpen,
  onTakeIdentity,
}: {
  current: RegulationCase;
  repeats: Repeats | null;
  editable: boolean;
  onLink: (caseId: string) => void;
  onOpen: (caseId: string) => void;
  /** Fill what the form lacks (identity, location) from an earlier case: nothing asked twice. */
  onTakeIdentity: (caseId: string) => void;
}) {
  const list = repeats?.repeats ?? [];
  const now = useNow(30_000);
  if (list.length === 0) return null;
  return (
    <section className="repeats" aria-label="Appels antérieurs (72 h)">
      <h3>
        Appels antérieurs (72 h) <span className="count">{list.length}</span>
        {list.some((r) => r.within24h) ? <span className="pill pill-alert">Rappel dans les 24 h</span> : null}
      </h3>
      <ul>
        {list.map(({ summary: s, matches, within24h }) => {
          const linked = current.linkedCaseIds.includes(s.id);
          return (
            <li key={s.id} className={within24h ? 'repeat-recent' : ''}>
              <span className={`prio prio-${s.priority ?? 'none'}`}>{s.priority ?? '—'}</span>
              <span className="repeat-main">
                <strong>
                  {s.patientName ?? 'Patient non identifié'} <span className="mono muted">{s.reference}</span>
                </strong>
                <span className="muted">
                  {timeOfDay(s.openedAt)} ({ago(s.openedAt, now)}) · {reasonLabel(s.reasonCode)} ·{' '}
                  {s.decisionCode ? DECISIONS[s.decisionCode].label : STATUS_LABELS[s.status]}
                </span>
                <span className="small">{matches.map((m) => MATCH_LABELS[m]).join(', ')}</span>
              </span>
              <span className="repeat-actions">
                <button type="button" onClick={() => onOpen(s.id)}>
                  Voir
                </button>
                {editable && s.patientName ? (
                  <button type="button" onClick={() => onTakeIdentity(s.id)}>
                    Reprendre l’identité
                  </button>
                ) : null}
                {linked ? (
                  <span className="muted small">lié</span>
                ) : (
                  <button type="button" disabled={!editable} onClick={() => onLink(s.id)}>
                    Lier à ce dossier
                  </button>
                )}
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

export function PrioritySuggestion({
  repeats,
  chosen,
  editable,
  onApply,
}: {
  repeats: Repeats | null;
  chosen: Priority | undefined;
  editable: boolean;
  onApply: (p: Priority) => void;
}) {
  const s = repeats?.suggestion;
  if (!s) return null;
  return (
    <p className={`suggestion ${s.raisedForRepeat ? 'suggestion-raised' : ''}`} role="status">
      Priorité suggérée : <strong>{s.priority}</strong> — {s.reason}
      {chosen !== s.priority && editable ? (
        // Out of the Tab order: it appears as the reason is chosen, and must not change where the
        // next Tab lands (the priority group, reached the same way every time).
        <button type="button" tabIndex={-1} onClick={() => onApply(s.priority)}>
          Appliquer {s.priority}
        </button>
      ) : null}
    </p>
  );
}
