"""requests-style names for axios_python's errors, for code moving off requests.

``except axios_python.exceptions.RequestException`` catches everything the package raises,
as ``requests.exceptions.RequestException`` does in requests.
"""

from __future__ import annotations

from ._exceptions import (
    AxiosError,
    AxiosPythonError,
    CancelError,
    ConnectError,
    ContentTooLarge,
    DeadlineExceeded,
    DecodingError,
    HTTPStatusError,
    InterceptorError,
    InvalidOptionError,
    InvalidURL,
    JSONDecodeError,
    NetworkError,
    ProxyError,
    ReadTimeout,
    RemoteProtocolError,
    RetryError,
    SSLError,
    StreamConsumed,
    TimeoutError,
    TooManyRedirects,
)
from ._exceptions import ConnectTimeout as ConnectTimeout

RequestException = AxiosError
HTTPError = HTTPStatusError
ConnectionError = NetworkError
Timeout = TimeoutError
ContentDecodingError = DecodingError
ChunkedEncodingError = RemoteProtocolError
MissingSchema = InvalidURL
InvalidSchema = InvalidURL
StreamConsumedError = StreamConsumed

__all__ = [
    "AxiosPythonError",
    "CancelError",
    "InterceptorError",
    "RetryError",
    "HTTPStatusError",
    "NetworkError",
    "TimeoutError",
    "ChunkedEncodingError",
    "ConnectTimeout",
    "ConnectionError",
    "ContentDecodingError",
    "ContentTooLarge",
    "DeadlineExceeded",
    "HTTPError",
    "InvalidOptionError",
    "InvalidSchema",
    "InvalidURL",
    "JSONDecodeError",
    "MissingSchema",
    "ProxyError",
    "ReadTimeout",
    "RequestException",
    "SSLError",
    "StreamConsumedError",
    "Timeout",
    "TooManyRedirects",
    "ConnectError",
]
