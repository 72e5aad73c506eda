import { useEffect, useId, useState, type KeyboardEvent } from 'react';
import type { Commune } from '../../../src-shared/schemas/reference';
import { useApp } from '../../app/context';

/** Commune by name or postal code, accents ignored; arrows + Entrée to choose. */
export function CommuneField({
  value,
  onChange,
  department,
}: {
  value: { inseeCode?: string; communeName?: string };
  onChange: (c: Commune | null) => void;
  department?: string;
}) {
  const bridge = useApp((s) => s.bridge);
  const id = useId();
  /** What the user is typing; null when the field shows the chosen commune. */
  const [editing, setEditing] = useState<string | null>(null);
  const [found, setFound] = useState<{ query: string; communes: Commune[] } | null>(null);
  const [active, setActive] = useState(0);

  const query = editing !== null && editing.trim().length >= 2 ? editing : null;
  const options = query !== null && found?.query === query ? found.communes : [];

  useEffect(() => {
    if (query === null) return;
    let cancelled = false;
    const t = setTimeout(async () => {
      const r = await bridge.invoke('directory.searchCommunes', { query, limit: 8, ...(department ? { department } : {}) });
      if (!cancelled && r.ok) {
        setFound({ query, communes: r.value });
        setActive(0);
      }
    }, 30);
    return () => {
      cancelled = true;
      clearTimeout(t);
    };
  }, [query, bridge, department]);

  const choose = (c: Commune) => {
    onChange(c);
    setEditing(null);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (options.length === 0) return;
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((a) => Math.min(a + 1, options.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      choose(options[Math.min(active, options.length - 1)]!);
    } else if (e.key === 'Escape') {
      setEditing(null);
    }
  };

  return (
    <div className="combo">
      <label htmlFor={id}>Commune (nom ou code postal)</label>
      <input
        id={id}
        role="combobox"
        aria-expanded={options.length > 0}
        aria-controls={`${id}-list`}
        aria-autocomplete="list"
        value={editing ?? value.communeName ?? ''}
        onChange={(e) => {
          setEditing(e.target.value);
          if (value.inseeCode) onChange(null);
        }}
        onKeyDown={onKeyDown}
      />
      {options.length > 0 && (
        <ul id={`${id}-list`} role="listbox" className="combo-list">
          {options.map((c, i) => (
            <li
              key={c.inseeCode}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : ''}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(c);
              }}
            >
              <strong>{c.name}</strong> <span className="muted">{c.postalCodes.slice(0, 3).join(', ')} · {c.departmentName}</span>
            </li>
          ))}
        </ul>
      )}
      {value.inseeCode ? <span className="muted small">INSEE {value.inseeCode}</span> : null}
    </div>
  );
}
