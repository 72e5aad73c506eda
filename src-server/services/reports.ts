/**
 * Reports a center sends out: the monthly activity report for the ARS (PDF and CSV) and the
 * per-physician act counts the incentive scheme pays on (CSV). CSV in the French spreadsheet
 * convention (semicolons, decimal comma, UTF-8 with BOM) so that it opens as is.
 */
import Papa from 'papaparse';
import PDFDocument from 'pdfkit';
import { DECISIONS, PRIORITY_LABELS, type DecisionCode, type Priority } from '../../src-shared/domain/codes.js';
import { ANSWER_TARGETS, STATISTICS_DEFINITIONS, type ActivityStatistics } from '../../src-shared/domain/statistics.js';

export interface ReportMeta {
  centerName: string;
  department: string;
  /** "novembre 2026" */
  periodLabel: string;
  generatedAt: string;
}

const pct = (v: number | null) => (v === null ? 'n/d' : `${(v * 100).toFixed(1).replace('.', ',')} %`);
const secs = (v: number | null) => (v === null ? 'n/d' : `${Math.round(v)} s`);
const mins = (v: number | null) => (v === null ? 'n/d' : `${(v / 60).toFixed(1).replace('.', ',')} min`);

/** The report's figures as rows (section, indicator, value): one source for the CSV and the PDF. */
export function activityRows(s: ActivityStatistics): [string, string, string][] {
  const c = s.calls;
  const rows: [string, string, string][] = [
    ['Appels', 'Appels reçus', String(c.received)],
    ['Appels', 'dont en période de PDSA', String(c.pdsa.received)],
    ['Appels', 'dont en journée', String(c.daytime.received)],
    ['Appels', 'Appels décrochés', String(c.answered)],
    ['Appels', 'Appels abandonnés', String(c.abandoned)],
    ['Appels', 'Appels transférés après décroché', String(c.transferred)],
    ['Appels', 'Appels sortants (rappels)', String(c.outgoing)],
    ['Appels', `Taux de décroché à 30 s (objectif ${pct(ANSWER_TARGETS.within30sShare)})`, pct(c.shareWithin30s)],
    ['Appels', `Taux de décroché à 60 s (objectif ${pct(ANSWER_TARGETS.within60sShare)})`, pct(c.shareWithin60s)],
    ['Appels', 'Délai de décroché médian', secs(c.answerSeconds.median)],
    ['Appels', 'Délai de décroché, 90e centile', secs(c.answerSeconds.p90)],
    ...c.answerSeconds.buckets.map((b): [string, string, string] => ['Délai de décroché', b.label, String(b.count)]),
    ['Dossiers', 'Dossiers ouverts', String(s.cases.total)],
    ['Dossiers', 'dont en période de PDSA', String(s.cases.pdsa)],
    ['Dossiers', 'dont en journée', String(s.cases.daytime)],
    ['Dossiers', 'Dossiers rouverts', String(s.cases.reopened)],
    ['Dossiers', 'Délai de régulation médian', mins(s.cases.regulationDelay.medianSeconds)],
    ['Dossiers', 'Délai de régulation, 90e centile', mins(s.cases.regulationDelay.p90Seconds)],
    ...(Object.entries(s.cases.byPriority) as [Priority | 'none', number][]).map((e): [string, string, string] => [
      'Priorité ARM',
      e[0] === 'none' ? 'Sans priorité' : PRIORITY_LABELS[e[0]],
      String(e[1]),
    ]),
    ...(Object.entries(s.cases.byDecision) as [DecisionCode | 'none', number][]).map((e): [string, string, string] => [
      'Décision',
      e[0] === 'none' ? 'Sans décision' : DECISIONS[e[0]].label,
      String(e[1]),
    ]),
    ['Effection', 'Consultations organisées', String(s.cases.consultationsArranged)],
    ['Effection', 'Visites à domicile organisées', String(s.cases.homeVisitsArranged)],
    ['Effection', 'Consultations et visites réalisées', 'n/d (retour des effecteurs non encore suivi)'],
    ...Object.entries(s.cases.bySector)
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map((e): [string, string, string] => ['Secteur', e[0] === 'none' ? 'Hors secteur' : e[0], String(e[1])]),
    ...s.cases.perPhysician.map((p): [string, string, string] => ['Médecin régulateur', p.name, String(p.decisions)]),
  ];
  return rows;
}

const csv = (rows: unknown[][]) => '\uFEFF' + Papa.unparse(rows, { delimiter: ';', newline: '\r\n' });

export function activityCsv(s: ActivityStatistics, meta: ReportMeta): string {
  return csv([
    ['Centre', meta.centerName],
    ['Département', meta.department],
    ['Période', meta.periodLabel],
    ['Édité le', meta.generatedAt],
    [],
    ['Rubrique', 'Indicateur', 'Valeur'],
    ...activityRows(s),
  ]);
}

export interface IncentiveSettings {
  amountPerActCents: number;
  yearEndComplementCents: number;
}

const euros = (cents: number) => (cents / 100).toFixed(2).replace('.', ',');

/** Per-physician regulation acts of a month and what the scheme pays for them. */
export function actsCsv(perPhysician: { userId: string; name: string; decisions: number }[], settings: IncentiveSettings, meta: ReportMeta): string {
  return csv([
    ['Centre', meta.centerName],
    ['Période', meta.periodLabel],
    ['Montant par acte (€)', euros(settings.amountPerActCents)],
    [],
    ['Identifiant', 'Médecin régulateur', 'Actes de régulation', 'Montant (€)'],
    ...perPhysician.map((p) => [p.userId, p.name, p.decisions, euros(p.decisions * settings.amountPerActCents)]),
  ]);
}

/** A year: acts per month per physician, the monthly payments and the year-end complement. */
export function actsYearCsv(
  months: { month: string; perPhysician: { userId: string; name: string; decisions: number }[] }[],
  settings: IncentiveSettings,
  meta: ReportMeta,
): string {
  const people = new Map<string, { name: string; byMonth: number[] }>();
  months.forEach((m, i) => {
    for (const p of m.perPhysician) {
      const e = people.get(p.userId) ?? { name: p.name, byMonth: Array.from({ length: months.length }, () => 0) };
      e.byMonth[i] = p.decisions;
      people.set(p.userId, e);
    }
  });
  return csv([
    ['Centre', meta.centerName],
    ['Période', meta.periodLabel],
    ['Montant par acte (€)', euros(settings.amountPerActCents)],
    ['Complément de fin d’année (€)', euros(settings.yearEndComplementCents)],
    [],
    ['Identifiant', 'Médecin régulateur', ...months.map((m) => m.month), 'Total des actes', 'Montants mensuels (€)', 'Complément (€)', 'Total (€)'],
    ...[...people.entries()]
      .sort((a, b) => a[1].name.localeCompare(b[1].name, 'fr'))
      .map(([id, p]) => {
        const total = p.byMonth.reduce((a, b) => a + b, 0);
        const monthly = total * settings.amountPerActCents;
        const complement = total > 0 ? settings.yearEndComplementCents : 0;
        return [id, p.name, ...p.byMonth, total, euros(monthly), euros(complement), euros(monthly + complement)];
      }),
  ]);
}

/** The monthly activity report as a PDF (A4), built in memory. */
export function activityPdf(s: ActivityStatistics, meta: ReportMeta): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: `Rapport d'activité ${meta.periodLabel} — ${meta.centerName}`, Author: 'Permanence' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  doc.font('Helvetica-Bold').fontSize(18).text("Rapport d'activité de régulation", { align: 'left' });
  doc.moveDown(0.3).font('Helvetica').fontSize(11).fillColor('#333');
  doc.text(`${meta.centerName} (département ${meta.department}) — ${meta.periodLabel}`);
  doc.text(`Édité le ${meta.generatedAt} par Permanence. Destinataire : ARS.`);
  doc.moveDown(0.8);

  // Key figures first, large.
  const key: [string, string][] = [
    ['Appels reçus', String(s.calls.received)],
    ['Décrochés à 60 s', pct(s.calls.shareWithin60s)],
    ['Abandonnés', String(s.calls.abandoned)],
    ['Dossiers', String(s.cases.total)],
  ];
  const top = doc.y;
  key.forEach(([label, value], i) => {
    const x = 50 + i * 125;
    doc.roundedRect(x, top, 115, 58, 6).fillAndStroke('#eef3f8', '#c5d3e0');
    doc.fillColor('#0b3a66').font('Helvetica-Bold').fontSize(20).text(value, x, top + 8, { width: 115, align: 'center' });
    doc.fillColor('#333').font('Helvetica').fontSize(9).text(label, x, top + 36, { width: 115, align: 'center' });
  });
  doc.y = top + 75;
  doc.x = 50;

  let section = '';
  for (const [sec, label, value] of activityRows(s)) {
    if (doc.y > 760) doc.addPage();
    if (sec !== section) {
      section = sec;
      doc.moveDown(0.5).fillColor('#0b3a66').font('Helvetica-Bold').fontSize(12).text(sec, 50);
      doc.moveDown(0.2);
    }
    const y = doc.y;
    doc.fillColor('#222').font('Helvetica').fontSize(10).text(label, 60, y, { width: 360 });
    const h = doc.y - y;
    doc.font('Helvetica-Bold').text(value, 420, y, { width: 125, align: 'right' });
    doc.y = y + Math.max(h, 12) + 2;
  }
  doc.addPage();
  doc.fillColor('#0b3a66').font('Helvetica-Bold').fontSize(12).text('Définitions', 50);
  doc.moveDown(0.3);
  for (const d of STATISTICS_DEFINITIONS) {
    doc.fillColor('#222').font('Helvetica-Bold').fontSize(9.5).text(d.term, 50, doc.y, { continued: true }).font('Helvetica').text(` : ${d.definition}`);
    doc.moveDown(0.3);
  }
  doc.end();
  return done;
}
