import { Icon } from './Icon.tsx';

/** A search field with an icon; its accessible name is `label`. */
export function SearchBox({
  label,
  value,
  onChange,
  placeholder,
}: {
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly placeholder: string;
}): React.JSX.Element {
  return (
    <label className="search">
      <Icon name="search" size={15} />
      <input
        type="search"
        aria-label={label}
        placeholder={placeholder}
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
    </label>
  );
}
