import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { Commune } from '../../../src-shared/schemas/reference';
import { useApp } from '../../app/context';

/** Every commune of a postal code fits (51300 has 46); a name prefix lists the likeliest first. */
const LIST_LIMIT = 100;

/**
 * Commune by name or postal code, accents, apostrophes and hyphens ignored; arrows + Entrée to
 * choose. Leaving the field with one commune matching picks it; with several, the field says so
 * and the list closes (it never stays open over the next fields); nothing typed is thrown away.
 */
export function CommuneField({
  value,
  onChange,
  onUnresolved,
  department,
}: {
  value: { inseeCode?: string; communeName?: string; postalCode?: string };
  onChange: (c: Commune | null) => void;
  /** What was typed and could not be matched to one commune (kept in the location, without INSEE code). */
  onUnresolved: (typed: string) => void;
  department?: string;
}) {
  const bridge = useApp((s) => s.bridge);
  const id = useId();
  /** What the user is typing; null when the field shows the chosen commune. */
  const [editing, setEditing] = useState<string | null>(null);
  const [found, setFound] = useState<{ query: string; communes: Commune[] } | null>(null);
  const [active, setActive] = useState(0);
  const [open, setOpen] = useState(true);
  const [problem, setProblem] = useState<string | null>(null);
  const listRef = useRef<HTMLUListElement>(null);

  const query = editing !== null && editing.trim().length >= 2 ? editing.trim() : null;
  const options = query !== null && found?.query === query ? found.communes : [];
  const shown = open ? options : [];

  const lookup = async (q: string): Promise<Commune[] | null> => {
    const r = await bridge.invoke('directory.searchCommunes', { query: q, limit: LIST_LIMIT, ...(department ? { department } : {}) });
    return r.ok ? r.value : null;
  };

  useEffect(() => {
    if (query === null) return;
    let cancelled = false;
    const t = setTimeout(async () => {
      const communes = await lookup(query);
      if (!cancelled && communes) {
        setFound({ query, communes });
        setActive(0);
      }
    }, 30);
    return () => {
      cancelled = true;
      clearTimeout(t);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query, bridge, department]);

  useEffect(() => {
    listRef.current?.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [active]);

  const choose = (c: Commune) => {
    onChange(c);
    setEditing(null);
    setProblem(null);
  };

  /** Leaving the field: one match is picked, several or none are said on the field. */
  const resolveOnLeave = async () => {
    setOpen(false);
    if (editing === null) return;
    const typed = editing.trim();
    if (typed === '') {
      setEditing(null);
      setProblem(null);
      return;
    }
    const communes = query !== null ? (found?.query === query ? found.communes : await lookup(query)) : [];
    if (communes && communes.length === 1) return choose(communes[0]!);
    onUnresolved(typed);
    setProblem(
      !communes || communes.length === 0
        ? 'Commune introuvable : vérifiez le nom ou le code postal.'
        : `${communes.length >= LIST_LIMIT ? 'De nombreuses' : communes.length} communes correspondent : choisissez-en une dans la liste.`,
    );
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Escape' && shown.length > 0) {
      // Escape closes the list, and only the list.
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
      return;
    }
    if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && !open && options.length > 0) {
      e.preventDefault();
      setOpen(true);
      return;
    }
    if (shown.length === 0) return;
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((a) => Math.min(a + 1, shown.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      choose(shown[Math.min(active, shown.length - 1)]!);
    }
  };

  const chosen = value.inseeCode ? `${value.communeName ?? ''}${value.postalCode ? ` (${value.postalCode})` : ''}` : (value.communeName ?? '');
  return (
    <div className="combo">
      <label htmlFor={id}>Commune (nom ou code postal)</label>
      <input
        id={id}
        role="combobox"
        aria-expanded={shown.length > 0}
        aria-controls={`${id}-list`}
        aria-autocomplete="list"
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `${id}-problem` : undefined}
        value={editing ?? chosen}
        onChange={(e) => {
          setEditing(e.target.value);
          setOpen(true);
          setProblem(null);
          if (value.inseeCode) onChange(null);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => void resolveOnLeave()}
        onKeyDown={onKeyDown}
      />
      {shown.length > 0 && (
        <ul id={`${id}-list`} ref={listRef} role="listbox" className="combo-list" aria-label={`${shown.length} communes`}>
          {shown.map((c, i) => (
            <li
              key={`${c.inseeCode}-${c.formerName ?? ''}-${c.postalCode ?? ''}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : ''}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(c);
              }}
            >
              <strong>{c.formerName ?? c.name}</strong> {c.postalCode ? <span className="mono">{c.postalCode}</span> : null}{' '}
              <span className="muted">
                {c.formerName ? `commune déléguée de ${c.name} · ` : ''}
                {c.departmentName}
              </span>
            </li>
          ))}
        </ul>
      )}
      {problem ? (
        <span id={`${id}-problem`} className="field-error small" role="alert">
          {problem}
        </span>
      ) : value.inseeCode ? (
        <span className="muted small">INSEE {value.inseeCode}</span>
      ) : null}
    </div>
  );
}
