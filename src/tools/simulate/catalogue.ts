/**
 * The simulated programme's world: operators, regions and their cities, tracks, employers' name
 * parts, sectors and job titles. Operators and employers are fictional; regions and cities are
 * Morocco's real ones, weighted roughly as digital training and hiring are spread.
 */
import type { PROGRAMME_TRACKS, Region } from '../../../events'

export type ProgrammeTrack = (typeof PROGRAMME_TRACKS)[number]

export interface OperatorProfile {
  operatorId: string
  name: string
  /** Regions it runs cohorts in. */
  regions: readonly Region[]
  /** Relative size. */
  weight: number
}

export const OPERATORS: readonly OperatorProfile[] = [
  { operatorId: 'OP-ATLAS', name: 'Académie Numérique Atlas', regions: ['MA-06', 'MA-04', 'MA-07', 'MA-03', 'MA-01', 'MA-05', 'MA-09'], weight: 3 },
  { operatorId: 'OP-ANFA', name: 'Anfa Code Institute', regions: ['MA-06'], weight: 3 },
  { operatorId: 'OP-BOUREGREG', name: 'École du Code Bouregreg', regions: ['MA-04'], weight: 2.5 },
  { operatorId: 'OP-SAISS', name: 'Saïss Digital Formation', regions: ['MA-03'], weight: 2 },
  { operatorId: 'OP-MENARA', name: 'Ménara Tech Lab', regions: ['MA-07'], weight: 2 },
  { operatorId: 'OP-DETROIT', name: 'Détroit Data School', regions: ['MA-01', 'MA-02'], weight: 2 },
  { operatorId: 'OP-ORIENTAL', name: 'Oriental Skills Hub', regions: ['MA-02', 'MA-03'], weight: 1.5 },
  { operatorId: 'OP-SOUSS', name: 'Campus Digital Souss', regions: ['MA-09', 'MA-10'], weight: 2 },
  { operatorId: 'OP-TAFILALET', name: 'Tafilalet Compétences Numériques', regions: ['MA-08', 'MA-05'], weight: 1.5 },
  { operatorId: 'OP-SAHARA', name: 'Sahara Code Academy', regions: ['MA-10', 'MA-11', 'MA-12'], weight: 1.5 },
]

export interface RegionProfile {
  /** Share of cohorts (and of employers) in the region. */
  weight: number
  cities: ReadonlyArray<readonly [string, number]>
}

export const REGION_PROFILES: Readonly<Record<Region, RegionProfile>> = {
  'MA-01': { weight: 10, cities: [['Tanger', 6], ['Tétouan', 3], ['Al Hoceïma', 1], ['Larache', 1]] }, // Tanger-Tétouan-Al Hoceïma
  'MA-02': { weight: 5, cities: [['Oujda', 5], ['Nador', 3], ['Berkane', 1]] }, // L'Oriental
  'MA-03': { weight: 11, cities: [['Fès', 6], ['Meknès', 4], ['Taza', 1]] }, // Fès-Meknès
  'MA-04': { weight: 17, cities: [['Rabat', 6], ['Salé', 2], ['Kénitra', 3], ['Témara', 1]] }, // Rabat-Salé-Kénitra
  'MA-05': { weight: 4, cities: [['Béni Mellal', 3], ['Khouribga', 2], ['Khénifra', 1]] }, // Béni Mellal-Khénifra
  'MA-06': { weight: 28, cities: [['Casablanca', 10], ['Mohammedia', 2], ['El Jadida', 2], ['Settat', 1], ['Berrechid', 1]] }, // Casablanca-Settat
  'MA-07': { weight: 11, cities: [['Marrakech', 7], ['Safi', 2], ['Essaouira', 1]] }, // Marrakech-Safi
  'MA-08': { weight: 2.5, cities: [['Errachidia', 2], ['Ouarzazate', 2]] }, // Drâa-Tafilalet
  'MA-09': { weight: 6, cities: [['Agadir', 5], ['Inezgane', 1], ['Taroudant', 1]] }, // Souss-Massa
  'MA-10': { weight: 2, cities: [['Guelmim', 1]] }, // Guelmim-Oued Noun
  'MA-11': { weight: 2, cities: [['Laâyoune', 1]] }, // Laâyoune-Sakia El Hamra
  'MA-12': { weight: 1.5, cities: [['Dakhla', 1]] }, // Dakhla-Oued Ed-Dahab
}

export interface TrackProfile {
  weight: number
  /** Typical length; a cohort adds 0 to 2 weeks. */
  weeks: number
  jobTitles: readonly string[]
  /** Typical junior gross monthly salary in MAD on a cdi or cdd. */
  salaryMad: readonly [number, number]
}

export const TRACK_PROFILES: Readonly<Record<ProgrammeTrack, TrackProfile>> = {
  'front-end': { weight: 10, weeks: 16, jobTitles: ['Front-end developer', 'Web integrator', 'React developer'], salaryMad: [6000, 9500] },
  'back-end': { weight: 10, weeks: 18, jobTitles: ['Back-end developer', 'Java developer', 'PHP developer', 'Node.js developer'], salaryMad: [6500, 10000] },
  'full-stack': { weight: 18, weeks: 22, jobTitles: ['Full-stack developer', 'Web developer', 'Software engineer'], salaryMad: [7000, 11000] },
  data: { weight: 14, weeks: 18, jobTitles: ['Data analyst', 'BI analyst', 'Data engineer'], salaryMad: [7000, 11000] },
  ai: { weight: 10, weeks: 20, jobTitles: ['Machine learning engineer', 'Data scientist', 'AI developer'], salaryMad: [8000, 12500] },
  cybersecurity: { weight: 10, weeks: 18, jobTitles: ['SOC analyst', 'Cybersecurity analyst', 'IT security technician'], salaryMad: [7500, 12000] },
  'cloud-devops': { weight: 10, weeks: 16, jobTitles: ['DevOps engineer', 'Cloud engineer', 'Systems administrator'], salaryMad: [8000, 12500] },
  sap: { weight: 7, weeks: 14, jobTitles: ['SAP functional consultant', 'SAP ABAP developer'], salaryMad: [8500, 13000] },
  salesforce: { weight: 6, weeks: 13, jobTitles: ['Salesforce developer', 'Salesforce administrator'], salaryMad: [8500, 13000] },
  servicenow: { weight: 5, weeks: 13, jobTitles: ['ServiceNow developer', 'ServiceNow administrator'], salaryMad: [8500, 13000] },
}

/** Jobs some completers take outside their track. */
export const OFF_TRACK_TITLES: readonly string[] = ['IT support technician', 'Helpdesk agent', 'Technical sales assistant', 'Digital marketing assistant']

/** Employer sectors, each with the words its (fictional) company names are made of. */
export const SECTORS: ReadonlyArray<readonly [string, number, readonly string[]]> = [
  ['IT services', 30, ['Digital', 'Informatique', 'Soft', 'Tech Solutions', 'Consulting', 'Systems']],
  ['Offshoring', 14, ['Nearshore', 'Outsourcing', 'Services Center', 'Delivery']],
  ['Banking', 9, ['Finance', 'Capital', 'Crédit']],
  ['Insurance', 5, ['Assurances', 'Mutuelle']],
  ['Telecommunications', 6, ['Télécom', 'Networks']],
  ['E-commerce', 8, ['Market', 'Shop', 'Commerce']],
  ['Industry', 7, ['Industries', 'Manufacturing', 'Automotive Parts']],
  ['Energy', 4, ['Énergie', 'Solar', 'Power']],
  ['Logistics', 5, ['Logistique', 'Transport', 'Freight']],
  ['Health', 4, ['Santé', 'Medical', 'Clinic Services']],
  ['Public sector', 4, ['Agence Régionale', 'Office Régional']],
  ['Tourism', 4, ['Voyages', 'Hospitality']],
]

/** First words of company names: places and images of Morocco, none a real company. */
export const NAME_STEMS: readonly string[] = [
  'Argan', 'Zellige', 'Cèdre', 'Kasbah', 'Majorelle', 'Nakhla', 'Toubkal', 'Ifrane', 'Sebou',
  'Tensift', 'Moulouya', 'Ziz', 'Oum Rbia', 'Atlantique', 'Noor', 'Yasmine', 'Andalous', 'Safran',
  'Amandier', 'Oasis', 'Medina', 'Riad', 'Dune', 'Massa', 'Chaouia', 'Doukkala', 'Rif', 'Draa',
  'Tafoukt', 'Itri', 'Azur', 'Horizon', 'Sirius', 'Mogador', 'Volubilis', 'Lixus',
]

export const LEGAL_FORMS: ReadonlyArray<readonly [string, number]> = [['SARL', 5], ['SA', 3], ['SARL AU', 2]]
