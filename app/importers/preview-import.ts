import type { ImportFile, ImportFormat, ImportPreview } from '../contract/import-preview.ts';
import { previewLittleSnitch } from './little-snitch.ts';
import { previewOpenSnitch } from './opensnitch.ts';
import { previewPortmaster } from './portmaster.ts';
import { previewSimplewall } from './simplewall.ts';

/** One file's importer, for the formats whose export is one file. */
const ONE_FILE: Record<Exclude<ImportFormat, 'opensnitch'>, (file: ImportFile) => ImportPreview> = {
  'little-snitch': previewLittleSnitch,
  simplewall: previewSimplewall,
  portmaster: previewPortmaster,
};

/**
 * The preview of importing `files` in `format`: an OpenSnitch rules directory is read as a
 * whole; for the other formats each file is one export and the previews are joined in order.
 */
export function previewImport(format: ImportFormat, files: readonly ImportFile[]): ImportPreview {
  if (format === 'opensnitch') return previewOpenSnitch(files);
  const one = ONE_FILE[format];
  const previews = files.map(one);
  return {
    format: previews[0]?.format ?? format,
    rules: previews.flatMap((p) => p.rules),
    skipped: previews.flatMap((p) => p.skipped),
  };
}
