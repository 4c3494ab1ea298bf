import { Icon } from './Icon.tsx';

/**
 * A search field with an icon; its accessible name is `label`. `problemId` names the element
 * saying why the text is not valid (the field is then marked invalid and described by it).
 */
export function SearchBox({
  label,
  value,
  onChange,
  placeholder,
  problemId,
}: {
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly placeholder: string;
  readonly problemId?: string | undefined;
}): React.JSX.Element {
  return (
    <label className="search">
      <Icon name="search" size={15} />
      <input
        type="search"
        aria-label={label}
        placeholder={placeholder}
        value={value}
        aria-invalid={problemId === undefined ? undefined : true}
        aria-describedby={problemId}
        onChange={(event) => onChange(event.target.value)}
      />
    </label>
  );
}
