import { useEffect, useState } from 'react';

const QUERY = '(prefers-color-scheme: dark)';

/** 'dark' or 'light', following the system (the CSS follows the same media query). */
export function useColorScheme(): 'dark' | 'light' {
  const [dark, setDark] = useState(() => window.matchMedia(QUERY).matches);
  useEffect(() => {
    const media = window.matchMedia(QUERY);
    const onChange = (): void => setDark(media.matches);
    media.addEventListener('change', onChange);
    return () => media.removeEventListener('change', onChange);
  }, []);
  return dark ? 'dark' : 'light';
}
