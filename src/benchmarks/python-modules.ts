import type { ModuleSource } from '../core/benchmark.js';

/**
 * Where each third-party (or no-longer-standard) module the benchmarks' data imports comes
 * from. Each benchmark names the ones its data imports (`pickModules`).
 */
const PYTHON_MODULES: Readonly<Record<string, ModuleSource>> = {
  flask: { probe: 'flask', debian: 'python3-flask', pip: 'flask' },
  werkzeug: { probe: 'werkzeug', debian: 'python3-werkzeug', pip: 'werkzeug' },
  jinja2: { probe: 'jinja2', debian: 'python3-jinja2', pip: 'jinja2' },
  yaml: { probe: 'yaml', debian: 'python3-yaml', pip: 'PyYAML' },
  PIL: { probe: 'PIL.Image', debian: 'python3-pil', pip: 'pillow' },
  jwt: { probe: 'jwt', debian: 'python3-jwt', pip: 'PyJWT' },
  lxml: { probe: 'lxml.etree', debian: 'python3-lxml', pip: 'lxml' },
  bleach: { probe: 'bleach', debian: 'python3-bleach', pip: 'bleach' },
  defusedxml: { probe: 'defusedxml', debian: 'python3-defusedxml', pip: 'defusedxml' },
  cryptography: { probe: 'cryptography', debian: 'python3-cryptography', pip: 'cryptography' },
  requests: { probe: 'requests', debian: 'python3-requests', pip: 'requests' },
  psutil: { probe: 'psutil', debian: 'python3-psutil', pip: 'psutil' },
  pytest: { probe: 'pytest', debian: 'python3-pytest', pip: 'pytest' },
  Cryptodome: { probe: 'Cryptodome.Cipher.AES', debian: 'python3-pycryptodome', pip: 'pycryptodomex' },
  Crypto: {
    probe: 'Crypto.Cipher.AES',
    debian: null,
    pip: 'pycryptodome',
    shim: true,
    note: "PyCrypto's name; Debian's python3-pycryptodome installs it as Cryptodome",
  },
  mysql: { probe: 'mysql.connector', debian: null, pip: 'mysql-connector-python', shim: true },
  imghdr: {
    probe: 'imghdr',
    debian: null,
    pip: 'standard-imghdr',
    note: 'in the standard library up to Python 3.12, removed in 3.13',
  },
  flask_sqlalchemy: { probe: 'flask_sqlalchemy', debian: 'python3-flask-sqlalchemy', pip: 'Flask-SQLAlchemy' },
  django: { probe: 'django', debian: 'python3-django', pip: 'Django' },
  paramiko: { probe: 'paramiko', debian: 'python3-paramiko', pip: 'paramiko' },
  argon2: { probe: 'argon2', debian: 'python3-argon2', pip: 'argon2-cffi' },
  wrapt_timeout_decorator: {
    probe: 'wrapt_timeout_decorator',
    debian: null,
    pip: 'wrapt-timeout-decorator',
    note: 'not packaged by Debian; the two CWEval tasks that import it fail as missing-module without it',
  },
};

/** The table's entries for `names`; a name it lacks is a programming error. */
export function pickModules(...names: string[]): Readonly<Record<string, ModuleSource>> {
  return Object.fromEntries(
    names.map((n) => {
      const m = PYTHON_MODULES[n];
      if (!m) throw new Error(`no module source for ${n}`);
      return [n, m];
    }),
  );
}
