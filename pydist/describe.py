# describe.py: run by the interpreter pydist has just built (python -I -c):
# prints, as one JSON object, what it is (version, ABI, extension suffix,
# built-in modules, sysconfig's data module, where pip installs) and its
# lib-dynload modules, after importing every one of them and running pip,
# so that the record step refuses an interpreter that cannot do either.
import importlib, json, os, subprocess, sys, sysconfig
suffix = sysconfig.get_config_var('EXT_SUFFIX')
dynload = os.path.join(sys.prefix, 'lib', 'python3.11', 'lib-dynload')
mods, failed = [], {}
for f in sorted(os.listdir(dynload)):
    if not f.endswith(suffix):
        continue
    name = f[:-len(suffix)]
    mods.append([name, f])
    try:
        importlib.import_module(name)
    except Exception as e:
        failed[name] = '%s: %s' % (type(e).__name__, e)
pip = subprocess.run([sys.executable, '-m', 'pip', '--version'],
                     capture_output=True, text=True)
print(json.dumps({'version': sys.version.split()[0],
    'soabi': sysconfig.get_config_var('SOABI'), 'ext_suffix': suffix,
    'builtins': sorted(sys.builtin_module_names),
    'sysconfigdata': sysconfig._get_sysconfigdata_name(),
    'purelib': sysconfig.get_paths()['purelib'],
    'dynload': dynload, 'modules': mods, 'import_failed': failed,
    'pip': pip.stdout.strip(), 'pip_status': pip.returncode,
    'pip_error': pip.stderr.strip()[-2000:]}))
