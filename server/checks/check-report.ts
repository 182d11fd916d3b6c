/** The check report: the API object returned by POST/GET /api/checks and stored as-is. */
import type { InputProblem } from '../errors.js';
import type { AreaFigures } from './areas.js';
import type { Finding, PassedRule, SkippedRule } from './rule-evaluation.js';
import type { Activity, Verdict } from './rules.js';

export const ACTIVITY_LABELS: Record<Activity, string> = { exploration: '勘查', mining: '开采' };

export interface CheckReport {
  id: string;
  /** ISO 8601 */
  createdAt: string;
  createdBy: string;
  name: string | null;
  activity: Activity;
  activityLabel: string;
  mineral: string;
  scale: { value: number; unit: string } | null;
  input: {
    format: 'geojson' | 'txt' | 'shapefile';
    crs: string;
    vertexCount: number;
    repaired: boolean;
    /** TXT 地块面积, when declared */
    declaredArea: AreaFigures | null;
    /** computed − declared, m² */
    declaredDifferenceM2: number | null;
  };
  block: {
    /** ellipsoidal */
    area: AreaFigures;
    /** [minLon, minLat, maxLon, maxLat], EPSG:4490 */
    bbox: [number, number, number, number];
  };
  verdict: Verdict;
  verdictLabel: string;
  findings: Finding[];
  warnings: InputProblem[];
  /** rules that apply and were not checked (`unverified`), or that the plan leaves without a measure */
  skippedRules: SkippedRule[];
  /** rules that apply, were checked and found nothing (absent from reports stored before it existed) */
  passedRules?: PassedRule[];
  /** layer id → version read */
  layerVersions: Record<string, number>;
  rulesVersion: number;
  links: { self: string; overlaps: string; html: string };
}
