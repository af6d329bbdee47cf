import { pickModules } from '../python-modules.js';

/** The third-party modules SALLM's modules and unittest files import. */
export const SALLM_MODULES = pickModules('flask', 'werkzeug', 'jinja2', 'flask_sqlalchemy', 'lxml', 'yaml', 'jwt', 'paramiko', 'requests', 'django', 'Crypto');
