/**
 * KML → GeoJSON FeatureCollection in a worker thread (kml-read.ts): xmldom's DOM of a whole
 * document takes ~35× its bytes and ~1.4 s per MB to build and walk, so it runs here, off the
 * event loop, in a heap of bounded size (resourceLimits). Plain JavaScript so it loads the same
 * under tsx, vitest and a build. In: workerData.text. Out: { features } or { error: { kind, message, line } }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DOMParser } from '@xmldom/xmldom';
import { kml } from '@tmcw/togeojson';

function parse(text) {
  const errors = [];
  let doc;
  try {
    doc = new DOMParser({
      onError: (level, message, context) => {
        if (level === 'warning') return;
        errors.push({ message: String(message).split('\n')[0].trim(), line: context?.locator?.lineNumber });
      },
    }).parseFromString(text, 'text/xml');
  } catch (e) {
    return { error: { kind: 'malformed', message: String(e?.message ?? e).split('\n')[0].trim().slice(0, 200), line: e?.locator?.lineNumber ?? errors[0]?.line } };
  }
  if (errors.length) return { error: { kind: 'malformed', message: errors[0].message.slice(0, 200), line: errors[0].line } };
  const root = doc.documentElement;
  if (!root || root.localName !== 'kml') return { error: { kind: 'root', message: String(root?.nodeName ?? '') } };
  // SimpleField types dropped: togeojson converts bool with Boolean() ("0" → true) and float with
  // Number() ("" → 0), silently; as text, values meet the layer's own types in attribute-map.ts,
  // which reads 0/false/否 as false and an empty value as null (found by a review)
  for (const field of Array.from(doc.getElementsByTagName('SimpleField'))) field.removeAttribute('type');
  try {
    return { features: kml(doc).features };
  } catch (e) {
    // togeojson reads nested MultiGeometry recursively
    if (e instanceof RangeError) return { error: { kind: 'deep', message: e.message } };
    throw e;
  }
}

parentPort.postMessage(parse(workerData.text));
