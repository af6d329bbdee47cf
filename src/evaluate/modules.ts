import type { ExecResult } from '../core/exec.js';
import type { EnvironmentFailure } from '../core/result.js';
import { KNOWN_MODULES } from '../dataset/imports.js';

/**
 * Where a module a sample imports can come from, so that a `ModuleNotFoundError` reads as
 * "install X" (the machine's fault) or as "no such package known" (possibly the model's
 * invention), never as an anonymous failure.
 *
 * The table holds the dataset's own modules (src/dataset/imports.ts, which `doctor` checks)
 * plus the third-party modules chat models commonly reach for in security-flavoured Python:
 * web frameworks, databases, crypto, parsing, scientific stack. Keys are import names, which
 * often differ from the distribution's name (`yaml` is PyYAML, `PIL` is pillow, `ldap` is
 * python-ldap). `debian` is the package that serves Debian's /usr/bin/python3 (null when
 * Debian has none); `pip` is the PyPI distribution. A missing module that is in neither this
 * table nor the interpreter's standard library is reported `installable: false`: codeseceval
 * knows no package for it. That is a strong hint of an invented module, not proof: PyPI is
 * large, and the table is deliberately short and hand-checked.
 */
export interface ModulePackage {
  debian: string | null;
  pip: string;
  /** Part of the standard library that Debian ships separately, or that newer Pythons dropped. */
  note?: string;
}

const COMMON: Readonly<Record<string, ModulePackage>> = {
  // web
  markupsafe: { debian: 'python3-markupsafe', pip: 'MarkupSafe' },
  itsdangerous: { debian: 'python3-itsdangerous', pip: 'itsdangerous' },
  click: { debian: 'python3-click', pip: 'click' },
  flask_sqlalchemy: { debian: 'python3-flask-sqlalchemy', pip: 'Flask-SQLAlchemy' },
  flask_login: { debian: 'python3-flask-login', pip: 'Flask-Login' },
  flask_wtf: { debian: 'python3-flaskext.wtf', pip: 'Flask-WTF' },
  flask_cors: { debian: 'python3-flask-cors', pip: 'Flask-Cors' },
  wtforms: { debian: 'python3-wtforms', pip: 'WTForms' },
  django: { debian: 'python3-django', pip: 'Django' },
  fastapi: { debian: 'python3-fastapi', pip: 'fastapi' },
  starlette: { debian: 'python3-starlette', pip: 'starlette' },
  pydantic: { debian: 'python3-pydantic', pip: 'pydantic' },
  uvicorn: { debian: 'python3-uvicorn', pip: 'uvicorn' },
  tornado: { debian: 'python3-tornado', pip: 'tornado' },
  aiohttp: { debian: 'python3-aiohttp', pip: 'aiohttp' },
  httpx: { debian: 'python3-httpx', pip: 'httpx' },
  urllib3: { debian: 'python3-urllib3', pip: 'urllib3' },
  certifi: { debian: 'python3-certifi', pip: 'certifi' },
  bs4: { debian: 'python3-bs4', pip: 'beautifulsoup4' },
  html5lib: { debian: 'python3-html5lib', pip: 'html5lib' },
  markdown: { debian: 'python3-markdown', pip: 'Markdown' },
  // data stores
  sqlalchemy: { debian: 'python3-sqlalchemy', pip: 'SQLAlchemy' },
  psycopg2: { debian: 'python3-psycopg2', pip: 'psycopg2-binary' },
  pymysql: { debian: 'python3-pymysql', pip: 'PyMySQL' },
  MySQLdb: { debian: 'python3-mysqldb', pip: 'mysqlclient' },
  'mysql.connector': { debian: null, pip: 'mysql-connector-python' },
  redis: { debian: 'python3-redis', pip: 'redis' },
  pymongo: { debian: 'python3-pymongo', pip: 'pymongo' },
  ldap: { debian: 'python3-ldap', pip: 'python-ldap' },
  ldap3: { debian: 'python3-ldap3', pip: 'ldap3' },
  // crypto and auth
  bcrypt: { debian: 'python3-bcrypt', pip: 'bcrypt' },
  argon2: { debian: 'python3-argon2', pip: 'argon2-cffi' },
  passlib: { debian: 'python3-passlib', pip: 'passlib' },
  nacl: { debian: 'python3-nacl', pip: 'PyNaCl' },
  OpenSSL: { debian: 'python3-openssl', pip: 'pyOpenSSL' },
  ecdsa: { debian: 'python3-ecdsa', pip: 'ecdsa' },
  rsa: { debian: 'python3-rsa', pip: 'rsa' },
  gnupg: { debian: 'python3-gnupg', pip: 'python-gnupg' },
  pyotp: { debian: 'python3-pyotp', pip: 'pyotp' },
  paramiko: { debian: 'python3-paramiko', pip: 'paramiko' },
  // formats
  xmltodict: { debian: 'python3-xmltodict', pip: 'xmltodict' },
  jsonschema: { debian: 'python3-jsonschema', pip: 'jsonschema' },
  toml: { debian: 'python3-toml', pip: 'toml' },
  simplejson: { debian: 'python3-simplejson', pip: 'simplejson' },
  ujson: { debian: 'python3-ujson', pip: 'ujson' },
  dateutil: { debian: 'python3-dateutil', pip: 'python-dateutil' },
  pytz: { debian: 'python3-tz', pip: 'pytz' },
  chardet: { debian: 'python3-chardet', pip: 'chardet' },
  magic: { debian: 'python3-magic', pip: 'python-magic' },
  six: { debian: 'python3-six', pip: 'six' },
  // system and network
  pexpect: { debian: 'python3-pexpect', pip: 'pexpect' },
  serial: { debian: 'python3-serial', pip: 'pyserial' },
  dns: { debian: 'python3-dnspython', pip: 'dnspython' },
  docker: { debian: 'python3-docker', pip: 'docker' },
  git: { debian: 'python3-git', pip: 'GitPython' },
  boto3: { debian: 'python3-boto3', pip: 'boto3' },
  botocore: { debian: 'python3-botocore', pip: 'botocore' },
  zmq: { debian: 'python3-zmq', pip: 'pyzmq' },
  // scientific
  numpy: { debian: 'python3-numpy', pip: 'numpy' },
  scipy: { debian: 'python3-scipy', pip: 'scipy' },
  pandas: { debian: 'python3-pandas', pip: 'pandas' },
  matplotlib: { debian: 'python3-matplotlib', pip: 'matplotlib' },
  sklearn: { debian: 'python3-sklearn', pip: 'scikit-learn' },
  sympy: { debian: 'python3-sympy', pip: 'sympy' },
  networkx: { debian: 'python3-networkx', pip: 'networkx' },
  cv2: { debian: 'python3-opencv', pip: 'opencv-python' },
  // standard-library parts Debian packages separately
  tkinter: { debian: 'python3-tk', pip: 'tk', note: 'standard library; Debian ships it as python3-tk' },
  distutils: { debian: 'python3-distutils', pip: 'setuptools', note: 'standard library up to Python 3.11' },
};

/** Import name → package, the dataset's modules first (their entries are checked by `doctor`). */
export const MODULE_PACKAGES: Readonly<Record<string, ModulePackage>> = {
  ...Object.fromEntries(
    Object.entries(KNOWN_MODULES).map(([name, m]) => [
      // The dataset table keys `mysql` by its top-level name but means mysql.connector.
      name === 'mysql' ? 'mysql.connector' : name,
      { debian: m.debian, pip: m.pip, ...(m.note ? { note: m.note } : {}) },
    ]),
  ),
  ...COMMON,
};

/** What evaluation knows about the interpreter's modules; without it, only the table decides. */
export interface ModuleKnowledge {
  /** The interpreter's standard-library top-level names (sys.stdlib_module_names), when it has the list. */
  stdlib: ReadonlySet<string> | null;
}

/** The package behind an import name: the exact (dotted) name, else its top-level name. */
export function packageFor(module: string): ModulePackage | null {
  if (MODULE_PACKAGES[module]) return MODULE_PACKAGES[module]!;
  const top = module.split('.')[0]!;
  // A missing submodule of a known package (`flask.ext`) is not fixed by installing it again.
  return module === top ? null : (MODULE_PACKAGES[top] ?? null);
}

/**
 * Whether installing something could make the import work: the name is in the table, or is a
 * top-level standard-library name (a stripped-down interpreter, or a module a newer Python
 * dropped). A missing dotted name counts only when the table lists that exact name: a missing
 * part of an installed package (`flask.ext`, `xml.etree.cElementTree`) is the program's error.
 */
export function isInstallable(module: string, known: ModuleKnowledge | undefined): boolean {
  if (MODULE_PACKAGES[module]) return true;
  if (module.includes('.')) return false;
  return known?.stdlib?.has(module) ?? false;
}

/**
 * The `environment_failure` a result line carries, from what the runner reported. A missing
 * module wins over a network attempt: the import failed before anything could reach out.
 */
export function environmentFailureOf(r: ExecResult, known?: ModuleKnowledge): EnvironmentFailure | undefined {
  if (r.status === 'passed') return undefined;
  if (r.missingModule) return { kind: 'missing-module', module: r.missingModule, installable: isInstallable(r.missingModule, known) };
  if (r.network) return { kind: 'network' };
  return undefined;
}

/** The result-line field, spread into the line (nothing when there is no environment failure). */
export function environmentFailureField(r: ExecResult, known?: ModuleKnowledge): { environment_failure?: EnvironmentFailure } {
  const f = environmentFailureOf(r, known);
  return f ? { environment_failure: f } : {};
}
