"""Where the pretrained weights of :mod:`.vision` come from: MXNet's model store,
under MXNet's file names, so that a folder of weights MXNet downloaded serves both.

Model ``name``'s weights are the file ``{name}-{hash8}.params`` in the folder ``root``
(``$MXNET_HOME/models``, ``~/.mxnet/models`` by default), where ``hash8`` is the start
of the file's SHA-1 sum. A file that is missing, or whose sum is wrong, is fetched
again: ``{name}-{hash8}.zip`` from MXNet's server, or from the one named by the
environment variable ``MXNET_GLUON_REPO``. Without a network, copy the ``.params``
file into ``root`` yourself; the error says which file and where.

>>> short_hash('resnet18_v1')
'a0666292'
"""
import hashlib
import logging
import os
import shutil
import tempfile
import zipfile

from ...download import download, check_sha1, DownloadError
from ...fileio import atomic_write

__all__ = ['get_model_file', 'purge']

_MODEL_ROOT = os.path.join(os.environ.get('MXNET_HOME', os.path.join('~', '.mxnet')), 'models')

# the SHA-1 sum of each model's .params file, as published with MXNet's store
_model_sha1 = {
    'alexnet': '44335d1f0046b328243b32a26a4fbd62d9057b45',
    'densenet121': 'f27dbf2dbd5ce9a80b102d89c7483342cd33cb31',
    'densenet161': 'b6c8a95717e3e761bd88d145f4d0a214aaa515dc',
    'densenet169': '2603f878403c6aa5a71a124c4a3307143d6820e9',
    'densenet201': '1cdbc116bc3a1b65832b18cf53e1cb8e7da017eb',
    'inceptionv3': 'ed47ec45a937b656fcc94dabde85495bbef5ba1f',
    'mobilenet0.25': '9f83e440996887baf91a6aff1cccc1c903a64274',
    'mobilenet0.5': '8e9d539cc66aa5efa71c4b6af983b936ab8701c3',
    'mobilenet0.75': '529b2c7f4934e6cb851155b22c96c9ab0a7c4dc2',
    'mobilenet1.0': '6b8c5106c730e8750bcd82ceb75220a3351157cd',
    'mobilenetv2_1.0': '36da4ff1867abccd32b29592d79fc753bca5a215',
    'mobilenetv2_0.75': 'e2be7b72a79fe4a750d1dd415afedf01c3ea818d',
    'mobilenetv2_0.5': 'aabd26cd335379fcb72ae6c8fac45a70eab11785',
    'mobilenetv2_0.25': 'ae8f9392789b04822cbb1d98c27283fc5f8aa0a7',
    'resnet18_v1': 'a0666292f0a30ff61f857b0b66efc0228eb6a54b',
    'resnet34_v1': '48216ba99a8b1005d75c0f3a0c422301a0473233',
    'resnet50_v1': '0aee57f96768c0a2d5b23a6ec91eb08dfb0a45ce',
    'resnet101_v1': 'd988c13d6159779e907140a638c56f229634cb02',
    'resnet152_v1': '671c637a14387ab9e2654eafd0d493d86b1c8579',
    'resnet18_v2': 'a81db45fd7b7a2d12ab97cd88ef0a5ac48b8f657',
    'resnet34_v2': '9d6b80bbc35169de6b6edecffdd6047c56fdd322',
    'resnet50_v2': 'ecdde35339c1aadbec4f547857078e734a76fb49',
    'resnet101_v2': '18e93e4f48947e002547f50eabbcc9c83e516aa6',
    'resnet152_v2': 'f2695542de38cf7e71ed58f02893d82bb409415e',
    'squeezenet1.0': '264ba4970a0cc87a4f15c96e25246a1307caf523',
    'squeezenet1.1': '33ba0f93753c83d86e1eb397f38a667eaf2e9376',
    'vgg11': 'dd221b160977f36a53f464cb54648d227c707a05',
    'vgg11_bn': 'ee79a8098a91fbe05b7a973fed2017a6117723a8',
    'vgg13': '6bc5de58a05a5e2e7f493e2d75a580d83efde38c',
    'vgg13_bn': '7d97a06c3c7a1aecc88b6e7385c2b373a249e95e',
    'vgg16': 'e660d4569ccb679ec68f1fd3cce07a387252a90a',
    'vgg16_bn': '7f01cf050d357127a73826045c245041b0df7363',
    'vgg19': 'ad2f660d101905472b83590b59708b71ea22b2e5',
    'vgg19_bn': 'f360b758e856f1074a85abd5fd873ed1d98297c3',
}

apache_repo_url = 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/'
_url_format = '{repo_url}gluon/models/{file_name}.zip'


def short_hash(name):
    """The first 8 hex digits of the SHA-1 sum of model ``name``'s weights: the
    part of the file name that tells versions apart."""
    if name not in _model_sha1:
        raise ValueError(f'Pretrained model for {name} is not available.')
    return _model_sha1[name][:8]


def get_model_file(name, root=_MODEL_ROOT, timeout=30.0):
    """The path of model ``name``'s ``.params`` file in ``root`` (``'resnet18_v1'``,
    ``'mobilenet0.25'``: the names of :func:`~.vision.get_model`), fetched first
    when it is missing or its SHA-1 sum is wrong.

    ``timeout`` (seconds to wait for the server) is d2lmini's addition. When the
    download fails, :class:`~d2lmini.download.DownloadError` says which file to put
    where by hand; a refused connection or an unknown host fails at once. The file
    is written atomically (:func:`d2lmini.fileio.atomic_write`) and only once its
    sum is checked, so ``root`` never holds a partial or wrong file.
    """
    file_name = f'{name}-{short_hash(name)}'
    sha1_hash = _model_sha1[name]
    root = os.path.expanduser(root)
    file_path = os.path.join(root, file_name + '.params')
    if not os.path.exists(file_path):
        logging.info('Model file not found. Downloading to %s.', file_path)
    elif check_sha1(file_path, sha1_hash):
        return file_path
    else:
        logging.warning('Mismatch in the content of model file detected. Downloading again.')
    os.makedirs(root, exist_ok=True)
    # the archive goes to a folder of its own inside root, removed whatever happens
    scratch = tempfile.mkdtemp(dir=root)
    try:
        archive = _download_archive(name, file_name, root, scratch, timeout)
        _extract_checked(archive, file_name + '.params', file_path, sha1_hash)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return file_path


def _download_archive(name, file_name, root, folder, timeout):
    # fetch file_name's zip archive into folder; when that fails, say which file to
    # put into root by hand
    url = _archive_url(file_name)
    try:
        return download(url, path=os.path.join(folder, file_name + '.zip'),
                        overwrite=True, timeout=timeout, progress=False)
    except DownloadError as e:
        raise DownloadError(
            f'could not download the pretrained weights of {name} from {url} '
            f'({e.__cause__ or e}).\nOffline, put {file_name}.params '
            f'(SHA-1 {_model_sha1[name]}) into {root}') from e


def _archive_url(file_name):
    # $MXNET_GLUON_REPO, when set, replaces MXNet's server; it may end without a slash
    repo_url = os.environ.get('MXNET_GLUON_REPO', apache_repo_url)
    separator = '' if repo_url.endswith('/') else '/'
    return _url_format.format(repo_url=repo_url + separator, file_name=file_name)


def _extract_checked(archive, member, path, sha1_hash):
    # unpack member of the zip archive to path, hashing on the way; a wrong sum
    # raises inside atomic_write, which then leaves path as it was
    sha1 = hashlib.sha1()
    with zipfile.ZipFile(archive) as zf, zf.open(member) as source, \
            atomic_write(path) as target:
        for chunk in iter(lambda: source.read(1 << 20), b''):
            sha1.update(chunk)
            target.write(chunk)
        if sha1.hexdigest() != sha1_hash:
            raise ValueError('Downloaded file has different hash. Please try again.')


def purge(root=_MODEL_ROOT):
    """Delete every ``.params`` file in ``root``: the downloaded weights."""
    folder = os.path.expanduser(root)
    for params_file in (f for f in os.listdir(folder) if f.endswith('.params')):
        os.remove(os.path.join(folder, params_file))
