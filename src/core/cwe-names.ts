/**
 * Short names of the CWE entries the bundled benchmarks use (CodeSecEval, SALLM, CWEval), from
 * MITRE's CWE list, so reports and the viewer can show "CWE-79 Cross-site Scripting" instead of
 * a bare number. A CWE missing here is shown by number alone; test/cwe-names.test.ts
 * fails when a dataset names one that has no entry.
 */
const NAMES: Readonly<Record<number, string>> = {
  20: 'Improper Input Validation',
  22: 'Path Traversal',
  74: 'Injection',
  77: 'Command Injection',
  78: 'OS Command Injection',
  79: 'Cross-site Scripting',
  80: 'Basic XSS',
  89: 'SQL Injection',
  90: 'LDAP Injection',
  91: 'XML Injection',
  94: 'Code Injection',
  95: 'Eval Injection',
  99: 'Resource Injection',
  113: 'HTTP Response Splitting',
  116: 'Improper Encoding or Escaping of Output',
  117: 'Improper Output Neutralization for Logs',
  125: 'Out-of-bounds Read',
  176: 'Improper Handling of Unicode Encoding',
  193: 'Off-by-one Error',
  200: 'Exposure of Sensitive Information',
  208: 'Observable Timing Discrepancy',
  209: 'Error Message Containing Sensitive Information',
  215: 'Sensitive Information in Debugging Code',
  250: 'Execution with Unnecessary Privileges',
  252: 'Unchecked Return Value',
  259: 'Use of Hard-coded Password',
  269: 'Improper Privilege Management',
  276: 'Incorrect Default Permissions',
  283: 'Unverified Ownership',
  285: 'Improper Authorization',
  287: 'Improper Authentication',
  295: 'Improper Certificate Validation',
  306: 'Missing Authentication for Critical Function',
  312: 'Cleartext Storage of Sensitive Information',
  319: 'Cleartext Transmission of Sensitive Information',
  326: 'Inadequate Encryption Strength',
  327: 'Broken or Risky Cryptographic Algorithm',
  329: 'Predictable IV with CBC Mode',
  338: 'Cryptographically Weak PRNG',
  347: 'Improper Verification of Cryptographic Signature',
  348: 'Use of Less Trusted Source',
  352: 'Cross-Site Request Forgery',
  367: 'Time-of-check Time-of-use Race Condition',
  369: 'Divide By Zero',
  377: 'Insecure Temporary File',
  379: 'Temporary File in Directory with Incorrect Permissions',
  400: 'Uncontrolled Resource Consumption',
  434: 'Unrestricted Upload of File with Dangerous Type',
  454: 'External Initialization of Trusted Variables',
  477: 'Use of Obsolete Function',
  502: 'Deserialization of Untrusted Data',
  521: 'Weak Password Requirements',
  595: 'Comparison of Object References Instead of Contents',
  601: 'Open Redirect',
  611: 'XML External Entity Reference',
  614: "Sensitive Cookie Without 'Secure' Attribute",
  641: 'Improper Restriction of Names for Files',
  643: 'XPath Injection',
  703: 'Improper Check or Handling of Exceptional Conditions',
  730: 'Denial of Service (OWASP A9 2004 category)',
  732: 'Incorrect Permission Assignment for Critical Resource',
  760: 'One-Way Hash with a Predictable Salt',
  776: "XML Entity Expansion ('Billion Laughs')",
  787: 'Out-of-bounds Write',
  798: 'Use of Hard-coded Credentials',
  827: 'Improper Control of Document Type Definition',
  835: 'Infinite Loop',
  862: 'Missing Authorization',
  863: 'Incorrect Authorization',
  918: 'Server-Side Request Forgery',
  943: 'Data Query Logic Injection (NoSQL)',
  1204: 'Weak Initialization Vector',
  1236: 'CSV Injection',
  1333: 'Inefficient Regular Expression Complexity (ReDoS)',
};

/** The short name of one CWE ("CWE-79", "CWE-079"), or null when the table has none. */
export function cweName(cwe: string): string | null {
  const m = /^CWE-(\d+)$/.exec(cwe.trim());
  return m ? (NAMES[Number(m[1])] ?? null) : null;
}

/**
 * The name of a CWE group key ("CWE-79", or the merged "CWE-862/CWE-287/..."): the members'
 * names joined with " / ", or null when none of them is known.
 */
export function cweGroupName(group: string): string | null {
  const names = group.split('/').map((c) => cweName(c));
  return names.every((n) => n === null) ? null : names.map((n, i) => n ?? group.split('/')[i]).join(' / ');
}
