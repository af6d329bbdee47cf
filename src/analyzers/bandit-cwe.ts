/**
 * Bandit rule → CWE, for Bandit versions whose JSON has no `issue_cwe` (before 1.7.3, such as
 * Debian's 1.6.2). Taken from Bandit's own sources and documentation, where 1.7.3 added a CWE
 * to every rule (`bandit/core/issue.py` `Cwe`, the plugins and `bandit/blacklists/*.py`);
 * rules Bandit removed before then (B309, B322, B325) are mapped by what their documentation
 * describes, and marked `ours`. When Bandit reports a CWE itself, that one is used instead.
 *
 * Bump BANDIT_RULE_TABLE when an entry changes: the version is stored in every analysis file.
 */
export const BANDIT_RULE_TABLE = 'bandit-cwe-1';

export interface RuleCwe {
  /** CWE number. */
  cwe: number;
  /** Bandit's name for the rule. */
  name: string;
  /** True when Bandit itself never attached this CWE (the rule was removed before 1.7.3). */
  ours?: true;
}

export const BANDIT_RULE_CWES: Readonly<Record<string, RuleCwe>> = {
  // Plugins (bandit/plugins/*.py).
  B101: { cwe: 703, name: 'assert_used' },
  B102: { cwe: 78, name: 'exec_used' },
  B103: { cwe: 732, name: 'set_bad_file_permissions' },
  B104: { cwe: 605, name: 'hardcoded_bind_all_interfaces' },
  B105: { cwe: 259, name: 'hardcoded_password_string' },
  B106: { cwe: 259, name: 'hardcoded_password_funcarg' },
  B107: { cwe: 259, name: 'hardcoded_password_default' },
  B108: { cwe: 377, name: 'hardcoded_tmp_directory' },
  B110: { cwe: 703, name: 'try_except_pass' },
  B112: { cwe: 703, name: 'try_except_continue' },
  B113: { cwe: 400, name: 'request_without_timeout' },
  B201: { cwe: 94, name: 'flask_debug_true' },
  B202: { cwe: 22, name: 'tarfile_unsafe_members' },
  B324: { cwe: 327, name: 'hashlib_new_insecure_functions' },
  B501: { cwe: 295, name: 'request_with_no_cert_validation' },
  B502: { cwe: 327, name: 'ssl_with_bad_version' },
  B503: { cwe: 327, name: 'ssl_with_bad_defaults' },
  B504: { cwe: 327, name: 'ssl_with_no_version' },
  B505: { cwe: 326, name: 'weak_cryptographic_key' },
  B506: { cwe: 20, name: 'yaml_load' },
  B507: { cwe: 295, name: 'ssh_no_host_key_verification' },
  B601: { cwe: 78, name: 'paramiko_calls' },
  B602: { cwe: 78, name: 'subprocess_popen_with_shell_equals_true' },
  B603: { cwe: 78, name: 'subprocess_without_shell_equals_true' },
  B604: { cwe: 78, name: 'any_other_function_with_shell_equals_true' },
  B605: { cwe: 78, name: 'start_process_with_a_shell' },
  B606: { cwe: 78, name: 'start_process_with_no_shell' },
  B607: { cwe: 78, name: 'start_process_with_partial_path' },
  B608: { cwe: 89, name: 'hardcoded_sql_expressions' },
  B609: { cwe: 155, name: 'linux_commands_wildcard_injection' },
  B610: { cwe: 89, name: 'django_extra_used' },
  B611: { cwe: 89, name: 'django_rawsql_used' },
  B612: { cwe: 94, name: 'logging_config_insecure_listen' },
  B701: { cwe: 94, name: 'jinja2_autoescape_false' },
  B702: { cwe: 80, name: 'use_of_mako_templates' },
  B703: { cwe: 80, name: 'django_mark_safe' },
  // Blacklisted calls (bandit/blacklists/calls.py).
  B301: { cwe: 502, name: 'pickle' },
  B302: { cwe: 502, name: 'marshal' },
  B303: { cwe: 327, name: 'md5' },
  B304: { cwe: 327, name: 'ciphers' },
  B305: { cwe: 327, name: 'cipher_modes' },
  B306: { cwe: 377, name: 'mktemp_q' },
  B307: { cwe: 78, name: 'eval' },
  B308: { cwe: 79, name: 'mark_safe' },
  // httplib.HTTPSConnection without certificate checks (Python < 2.7.9).
  B309: { cwe: 295, name: 'httpsconnection', ours: true },
  B310: { cwe: 22, name: 'urllib_urlopen' },
  B311: { cwe: 330, name: 'random' },
  B312: { cwe: 319, name: 'telnetlib' },
  B313: { cwe: 20, name: 'xml_bad_cElementTree' },
  B314: { cwe: 20, name: 'xml_bad_ElementTree' },
  B315: { cwe: 20, name: 'xml_bad_expatreader' },
  B316: { cwe: 20, name: 'xml_bad_expatbuilder' },
  B317: { cwe: 20, name: 'xml_bad_sax' },
  B318: { cwe: 20, name: 'xml_bad_minidom' },
  B319: { cwe: 20, name: 'xml_bad_pulldom' },
  B320: { cwe: 20, name: 'xml_bad_etree' },
  B321: { cwe: 319, name: 'ftplib' },
  // Python 2's input() evaluates what it reads.
  B322: { cwe: 94, name: 'input', ours: true },
  B323: { cwe: 295, name: 'unverified_context' },
  // os.tempnam / os.tmpnam: predictable names, symlink attacks.
  B325: { cwe: 377, name: 'tempnam', ours: true },
  // Blacklisted imports (bandit/blacklists/imports.py).
  B401: { cwe: 319, name: 'import_telnetlib' },
  B402: { cwe: 319, name: 'import_ftplib' },
  B403: { cwe: 502, name: 'import_pickle' },
  B404: { cwe: 78, name: 'import_subprocess' },
  B405: { cwe: 20, name: 'import_xml_etree' },
  B406: { cwe: 20, name: 'import_xml_sax' },
  B407: { cwe: 20, name: 'import_xml_expat' },
  B408: { cwe: 20, name: 'import_xml_minidom' },
  B409: { cwe: 20, name: 'import_xml_pulldom' },
  B410: { cwe: 20, name: 'import_lxml' },
  B411: { cwe: 20, name: 'import_xmlrpclib' },
  B412: { cwe: 284, name: 'import_httpoxy' },
  B413: { cwe: 327, name: 'import_pycrypto' },
};

/** The CWE of a Bandit rule per the table, as "CWE-n"; null for a rule it does not know. */
export function banditRuleCwe(rule: string): string | null {
  const e = BANDIT_RULE_CWES[rule];
  return e ? `CWE-${e.cwe}` : null;
}
