/**
 * Problems found in an upload, row by row. Counting never stops, listing does (a report of
 * 100 000 identical rows helps nobody); errors are listed before warnings.
 */
import { type InputProblem, UnprocessableError } from '../errors.js';
import { MAX_REPORTED_PROBLEMS } from './ingest-limits.js';

/** An InputProblem that may also say where it is on the map (EPSG:4490 lon/lat degrees). */
export interface UploadProblem extends InputProblem {
  /** a point, e.g. ST_IsValidDetail's location of a self-intersection */
  location?: [number, number];
  /** [minLon, minLat, maxLon, maxLat] of the feature */
  bbox?: [number, number, number, number];
}

export class ProblemList {
  private readonly errors: UploadProblem[] = [];
  private readonly warnings: UploadProblem[] = [];
  errorCount = 0;
  warningCount = 0;

  add(p: UploadProblem): void {
    if (p.severity === 'error') {
      this.errorCount++;
      if (this.errors.length < MAX_REPORTED_PROBLEMS) this.errors.push(p);
    } else {
      this.warningCount++;
      if (this.warnings.length < MAX_REPORTED_PROBLEMS) this.warnings.push(p);
    }
  }

  error(p: Omit<UploadProblem, 'severity'>): void {
    this.add({ ...p, severity: 'error' });
  }

  warn(p: Omit<UploadProblem, 'severity'>): void {
    this.add({ ...p, severity: 'warning' });
  }

  get hasErrors(): boolean {
    return this.errorCount > 0;
  }

  /** errors first, then warnings, each in input order */
  list(): UploadProblem[] {
    const byPlace = (a: UploadProblem, b: UploadProblem) => (a.feature ?? -1) - (b.feature ?? -1);
    return [...this.errors.sort(byPlace), ...this.warnings.sort(byPlace)].slice(0, MAX_REPORTED_PROBLEMS);
  }

  warningList(): UploadProblem[] {
    return [...this.warnings];
  }

  summary() {
    const problems = this.list();
    return { problems, errorCount: this.errorCount, warningCount: this.warningCount, truncated: problems.length < this.errorCount + this.warningCount };
  }

  /** the 422 for a file with errors: every listed problem, and the counts */
  refusal(): UnprocessableError {
    const first = this.errors[0];
    const where = first?.feature !== undefined ? `要素 ${first.feature}` : first?.line !== undefined ? `第 ${first.line} 行` : '文件';
    return new UnprocessableError(
      `文件有 ${this.errorCount} 处错误，未写入任何数据（${where}：${first?.message ?? ''}） (${this.errorCount} errors; nothing was written)`,
      this.summary(),
    );
  }
}

/** A 422 for one file-level problem (not a zip, unknown CRS, …). */
export function fileProblem(message: string, field = 'file', extra: Record<string, unknown> = {}): UnprocessableError {
  return new UnprocessableError(message, { problems: [{ field, severity: 'error', message }], ...extra });
}
