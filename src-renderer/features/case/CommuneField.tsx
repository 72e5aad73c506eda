import { useEffect, useId, useState } from 'react';
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
  const [text, setText] = useState(value.communeName ?? '');
  const [options, setOptions] = useState<Commune[]>([]);
  const [active, setActive] = useState(0);
  const [open, setOpen] = useState(false);

  useEffect(() => setText(value.communeName ?? ''), [value.communeName]);

  useEffect(() => {
    if (!open || text.trim().length < 2 || text === value.communeName) {
      setOptions([]);
      return;
    }
    let cancelled = false;
    const t = setTimeout(async () => {
      const r = await bridge.invoke('directory.searchCommunes', { query: text, limit: 8, ...(department ? { department } : {}) });
      if (!cancelled && r.ok) {
        setOptions(r.value);
        setActive(0);
      }
    }, 120);
    return () => {
      cancelled = true;
      clearTimeout(t);
    };
  }, [text, open, bridge, department, value.communeName]);

  const choose = (c: Commune) => {
    onChange(c);
    setText(c.name);
    setOptions([]);
    setOpen(false);
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
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          if (value.inseeCode) onChange(null);
        }}
        onKeyDown={(e) => {
          if (options.length === 0) return;
          if (e.key === 'ArrowDown') (e.preventDefault(), setActive((a) => Math.min(a + 1, options.length - 1)));
          else if (e.key === 'ArrowUp') (e.preventDefault(), setActive((a) => Math.max(a - 1, 0)));
          else if (e.key === 'Enter') (e.preventDefault(), choose(options[active]!));
          else if (e.key === 'Escape') setOptions([]);
        }}
      />
      {options.length > 0 && (
        <ul id={`${id}-list`} role="listbox" className="combo-list">
          {options.map((c, i) => (
            <li
              key={c.inseeCode}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : ''}
              onMouseDown={(e) => (e.preventDefault(), choose(c))}
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
