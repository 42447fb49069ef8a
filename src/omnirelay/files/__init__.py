"""Files owned by accounts: ``/v1/files`` uploads and the images the gateway keeps for links."""

from omnirelay.files.links import LinkSigner
from omnirelay.files.local import LocalFileStorage
from omnirelay.files.storage import FileStorage, FileWriter, StoredFile, new_file_id

__all__ = ["FileStorage", "FileWriter", "LinkSigner", "LocalFileStorage", "StoredFile", "new_file_id"]
